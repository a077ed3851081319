"""CSV downloads people open in Excel: UTF-8 with a byte-order mark (so umlauts survive), one header
row, every cell through :func:`exchange.platform.spreadsheet.safe_cell` (formula-like text escaped)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response

from exchange.platform import clock
from exchange.platform.spreadsheet import safe_cell


def csv_text(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 only with a byte-order mark
    writer = csv.writer(out)
    writer.writerow([safe_cell(str(cell)) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


def csv_response(name: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Response:
    """A download ``<name>-<YYYYmmdd-HHMM>.csv`` of ``header`` and ``rows``."""
    stamp = clock.now().strftime("%Y%m%d-%H%M")
    response = Response(csv_text(header, rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
