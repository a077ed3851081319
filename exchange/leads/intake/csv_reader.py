"""Reading a CSV file as a stream of records: quoted fields with embedded newlines; CR, LF or CRLF line
ends. A record over the cell limit, a row that does not decode like the rest of the file or a quote
that never closes becomes a ``BadRecord`` and the reading goes on after it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from exchange.leads.intake.records import (
    MIB,
    BadRecord,
    FileSettings,
    Limits,
    UnreadableFile,
    is_blank,
    size_text,
)

QUOTE = '"'


# Our own guard stops a record at ``Limits.cell_chars``; the csv module's must not stop it first.
csv.field_size_limit(2**31 - 1)


def open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    # surrogateescape: a byte that does not decode marks its line (see _CsvLines) instead of stopping.
    return path.open("r", encoding=encoding, errors="surrogateescape", newline="")


SURROGATES = re.compile("[\udc80-\udcff]")


class _RecordTooLarge(Exception):
    pass


class _CsvLines:
    """The physical lines csv.reader reads, with what the current record's lines showed: its size
    (stopped past the limit), its quotes (to find where a runaway record ends) and lines that do not
    decode as the file's encoding."""

    def __init__(self, handle: io.TextIOWrapper, encoding: str, limit: int) -> None:
        self.handle = handle
        self.utf8 = encoding.startswith("utf-8")
        self.legacy = encoding in ("cp1252", "latin-1")
        self.encoding_name = {"cp1252": "Windows-1252", "latin-1": "Latin-1"}.get(encoding, "UTF-8")
        self.limit = limit
        self.eof = False
        self.start_record()

    def start_record(self) -> None:
        self.chars = 0
        self.quotes = 0
        self.lines = 0
        self.raw: list[str] = []
        self.second_line_at: int | None = None
        self.problem: str | None = None

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        if self.lines == 1:
            self.second_line_at = self.handle.tell()  # only multi-line records pay for tell()
        line = self.handle.readline(self.limit + 1 - self.chars)
        if not line:
            self.eof = True
            raise StopIteration
        self.lines += 1
        self.chars += len(line)
        self.quotes += line.count(QUOTE)
        if not line.isascii():
            line = self._checked(line)
        self.raw.append(line)
        if self.chars > self.limit:
            raise _RecordTooLarge
        return line

    def _checked(self, line: str) -> str:
        if SURROGATES.search(line):
            if self.legacy:  # the five bytes Windows-1252 leaves undefined: read them as Latin-1
                return SURROGATES.sub(lambda m: chr(ord(m.group()) - 0xDC00), line)
            self.problem = self.problem or (
                f"The row is not {self.encoding_name} text like the rest of the file "
                "(another encoding, e.g. Windows-1252?); save it as UTF-8 and import it again."
            )
            if self.utf8:  # what the row most likely says, for the rejected-rows file
                return line.encode("utf-8", "surrogateescape").decode("cp1252", "replace")
            return SURROGATES.sub("\ufffd", line)
        if self.legacy and self.problem is None:
            try:
                as_utf8 = line.encode(self.handle.encoding).decode("utf-8")
            except UnicodeError:
                return line
            self.problem = (
                f"The row is UTF-8 text in a {self.encoding_name} file and would read as "
                f"{line[:40]!r} instead of {as_utf8[:40]!r}; save the file in one encoding."
            )
        return line

    def skip_rest(self) -> bool:
        """After a record grew past the limit: read on to the line end where its quotes balance.
        False when the file ends first (a quote that never closes)."""
        piece = "x"
        while self.quotes % 2 or not piece.endswith(("\n", "\r")):
            piece = self.handle.readline(MIB)
            if not piece:
                self.eof = True
                return self.quotes % 2 == 0
            self.quotes += piece.count(QUOTE)
        return True


def iter_csv(path: Path, settings: FileSettings, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    encoding = settings.encoding or "utf-8-sig"
    delimiter = settings.delimiter or ","
    try:
        with open_text(path, encoding) as handle:
            for _ in range(settings.skip_lines):
                handle.readline(limits.cell_chars)
            lines = _CsvLines(handle, encoding, limits.cell_chars)
            reader = csv.reader(lines, delimiter=delimiter)
            row = 0
            while True:
                lines.start_record()
                row += 1
                try:
                    record = next(reader)
                except StopIteration:
                    return
                except _RecordTooLarge:
                    at = lines.second_line_at
                    if at is not None and not _well_quoted(lines.raw, delimiter, complete=False):
                        yield row, _unclosed_quote(lines.raw[0], delimiter)
                        handle.seek(at)
                    elif lines.skip_rest() or at is None:
                        yield row, BadRecord([], f"The row is larger than {size_text(limits.cell_chars)}.")
                    else:
                        yield row, _unclosed_quote(lines.raw[0], delimiter)
                        handle.seek(at)
                    reader = csv.reader(lines, delimiter=delimiter)
                    continue
                if lines.second_line_at is not None and not _well_quoted(lines.raw, delimiter):
                    # A quote that does not close where a field ends swallowed the rows after it
                    # (up to the next quote, or the end): read them again on their own, from the
                    # line after the one that opened it.
                    yield row, _unclosed_quote(lines.raw[0], delimiter)
                    handle.seek(lines.second_line_at)
                    lines.eof = False
                    reader = csv.reader(lines, delimiter=delimiter)
                    continue
                if lines.problem:
                    yield row, BadRecord(record, lines.problem)
                elif record and not is_blank(record):
                    yield row, record
    except csv.Error as error:
        raise UnreadableFile(f"The CSV cannot be parsed: {error}.") from None
    except UnicodeError as error:
        raise UnreadableFile(f"The file is not {encoding} text: {error}.") from None


def _well_quoted(lines: list[str], delimiter: str, *, complete: bool = True) -> bool:
    """A record over several lines is one quoted field with line breaks only when every quote closes
    where a field ends (strict CSV); otherwise a stray quote joined rows. ``complete=False``: the
    lines are the start of a record, which may end inside a quoted field."""
    try:
        for _record in csv.reader(lines, delimiter=delimiter, strict=True):
            pass
    except csv.Error as error:
        return not complete and "unexpected end of data" in str(error)
    return True


def _unclosed_quote(line: str, delimiter: str) -> BadRecord:
    try:
        cells = next(csv.reader([line.rstrip("\r\n") + QUOTE], delimiter=delimiter), [])
    except csv.Error:
        cells = [line]
    return BadRecord(
        cells, 'A quote (") in this row is never closed where a cell ends; the rows after it are read on.'
    )
