"""Helpers for the browser tests (Playwright driving Chromium against ``live_server``)."""

from __future__ import annotations

from tests import factories as f


def sign_in(page, base: str, email: str, password: str = f.PASSWORD, *, lands_on: str | None = None) -> None:
    """Fill and send the sign-in form; with ``lands_on`` (a path), wait until that page is open."""
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if lands_on is not None:
        page.wait_for_url(f"{base}{lands_on}")
