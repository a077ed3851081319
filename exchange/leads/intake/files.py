"""Reading an uploaded or given file as a stream of records (lists of cell values), and what the import
reads first: the header, a sample, the number of records.

How a file reads is detected in ``detection``; ``csv_reader`` and ``xlsx_reader`` stream the records.
Hostile or broken input costs bounded memory and time (``records.Limits``): a record too large, a row
that does not decode like the rest of the file or a quote that never closes becomes a ``BadRecord``
(the import rejects that row and goes on); a file over a limit as a whole is an ``UnreadableFile``
that names the limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from exchange.leads.intake.csv_reader import SURROGATES, iter_csv
from exchange.leads.intake.records import (
    DEFAULT_LIMITS,
    BadRecord,
    FileSettings,
    Limits,
    UnreadableFile,
    size_text,
)
from exchange.leads.intake.xlsx_reader import iter_xlsx


def iter_records(
    path: Path, settings: FileSettings, limits: Limits = DEFAULT_LIMITS
) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of every non-blank record, the header first. Row numbers count records as a
    spreadsheet shows them (blank ones included), so error messages point at the right row.
    Cells are strings (CSV) or typed values (xlsx); a ``BadRecord`` is a row to reject."""
    if settings.format == "xlsx":
        yield from iter_xlsx(path, limits)
    else:
        yield from iter_csv(path, settings, limits)


MAX_HEADER_CHARS = 255


def read_header_and_sample(
    path: Path, settings: FileSettings, rows: int = 10, limits: Limits = DEFAULT_LIMITS
) -> tuple[list[str], list[list]]:
    """The header (as strings) and the first ``rows`` data records (rows to reject left out)."""
    records = iter_records(path, settings, limits)
    try:
        _row, header = next(records)
    except StopIteration:
        raise UnreadableFile("The file has no rows.") from None
    if isinstance(header, BadRecord) and not header:
        raise UnreadableFile(f"The first row is larger than {size_text(limits.cell_chars)}.")
    if len(header) > limits.columns:
        raise UnreadableFile(
            f"The file has {len(header):,} columns; an import reads at most {limits.columns:,}. "
            "Remove the columns you do not need."
        )
    sample = []
    for _row, record in records:
        if isinstance(record, BadRecord):
            continue
        sample.append(record)
        if len(sample) >= rows:
            break
    headers = [_header_text(cell) for cell in header]
    if sum(1 for h in headers if h) < 2:
        raise UnreadableFile(
            "The first row must name the columns (at least two), e.g. Company and Email; "
            "check that the file is a table with a header row."
        )
    return headers, sample


def _header_text(cell: Any) -> str:
    text = ("" if cell is None else str(cell)).strip().lstrip("\ufeff")
    # Stored as JSON: no NUL (PostgreSQL refuses it), no lone surrogate, no 10 MB header.
    text = SURROGATES.sub("\ufffd", text.replace("\x00", ""))
    return text[:MAX_HEADER_CHARS]


def count_records(path: Path, settings: FileSettings, limits: Limits = DEFAULT_LIMITS) -> int:
    """Data records in the file (the header not counted): the denominator of the progress bar.
    More than the row limit makes the file unreadable before a row is written."""
    count = -1
    for count, _record in enumerate(iter_records(path, settings, limits)):  # noqa: B007
        if count > limits.rows:
            raise UnreadableFile(
                f"The file has more than {limits.rows:,} rows, the most one import takes; "
                "split it into several files."
            )
    return max(count, 0)
