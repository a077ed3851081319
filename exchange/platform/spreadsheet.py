"""Writing cells that spreadsheets open safely: text that starts like a formula is escaped."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

# A cell beginning with one of these is run as a formula by Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value for a CSV cell: text that begins with = + - @ tab or CR gets a leading apostrophe
    (OWASP's advice), so it shows as text instead of running; numbers and dates stay as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
