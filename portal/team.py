"""The partner admin manages the team: ``/portal/team`` (invite, resend, change role, deactivate,
reactivate, unlock)."""

from exchange.web.auth.team_pages import register_team_pages
from portal import bp

register_team_pages(bp)
