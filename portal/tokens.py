"""The partner admin's API tokens: ``/portal/tokens`` (create - shown once -, list, revoke)."""

from exchange.web.auth.token_pages import register_token_pages
from portal import bp

register_token_pages(bp, api_example="/api/v1/partner/offers")
