"""The manufacturer admin's API tokens for the leads API: ``/manage/tokens`` (create, list, revoke)."""

from exchange.web.auth.token_pages import register_token_pages
from manufacturer_admin import bp

register_token_pages(bp, api_example="/api/v1/leads")
