"""The manufacturer admin manages the team: ``/manage/team`` (invite admins and channel managers,
resend, change role, deactivate, reactivate, unlock)."""

from exchange.web.auth.team_pages import register_team_pages
from manufacturer_admin import bp

register_team_pages(bp)
