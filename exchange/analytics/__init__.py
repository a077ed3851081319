"""Analytics: the programme's figures (response rate, SLA compliance, breaches, win rate), each
defined once."""
