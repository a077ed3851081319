"""Offers: matchmaking (scoring leads against partners), waves, claims, the pull list and the
explanations of a match."""
