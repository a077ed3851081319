"""Accounts: users, sessions, passwords and password links, API tokens, teams, organisations,
programmes, and who may do what."""
