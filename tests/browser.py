"""Helpers for the browser tests (Playwright driving Chromium against ``live_server``)."""

from __future__ import annotations

import csv
import io

from tests import factories as f


def sign_in(page, base: str, email: str, password: str = f.PASSWORD, *, lands_on: str | None = None) -> None:
    """Fill and send the sign-in form; with ``lands_on`` (a path), wait until that page is open."""
    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if lands_on is not None:
        page.wait_for_url(f"{base}{lands_on}")


def upload_for_preview(page, rows: list[list[str]], file_name: str, run_jobs) -> None:
    """On the import page, upload ``rows`` as a CSV file and wait until the preview's page is open and
    the upload has been read."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    page.get_by_label("CSV or Excel file").set_input_files(
        files=[{"name": file_name, "mimeType": "text/csv", "buffer": buffer.getvalue().encode()}]
    )
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url("**/imports/**")
    run_jobs()  # the leads.read_upload job: in-process, or an RQ worker when the suite runs on Redis


def submit_form(
    page, name: str, *, select: dict[str, str] | None = None, fill: dict[str, str] | None = None
) -> None:
    """In the form named ``name`` choose the ``select`` options and fill the ``fill`` fields (by label,
    in that order), then press the button named like the form."""
    form = page.get_by_role("form", name=name)
    for label, value in (select or {}).items():
        form.get_by_label(label).select_option(value)
    for label, value in (fill or {}).items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name=name).click()
