"""Reading an uploaded or given file as a stream of records (lists of cell values).

CSV: UTF-8 with or without a byte-order mark, UTF-16 (Excel's "Unicode text"), else Windows-1252;
comma, semicolon, tab or pipe delimiters, detected from the first records (or Excel's ``sep=;`` line);
quoted fields with embedded newlines. .xlsx: the first worksheet, streamed by openpyxl's read-only mode.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

# Real exports have long text fields (descriptions with pasted e-mails).
csv.field_size_limit(10 * 1024 * 1024)

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8-sig", "utf-16", "cp1252", "latin-1")
FORMATS = ("csv", "xlsx")


class UnreadableFile(ValueError):
    """The file cannot be read as a table at all (not a row of it can be imported)."""


@dataclass
class FileSettings:
    format: str  # csv or xlsx
    encoding: str | None = None
    delimiter: str | None = None
    skip_lines: int = 0  # Excel's "sep=;" hint line

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "skip_lines": self.skip_lines,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileSettings:
        return cls(
            format=data["format"],
            encoding=data.get("encoding"),
            delimiter=data.get("delimiter"),
            skip_lines=int(data.get("skip_lines") or 0),
        )


def detect_format(path: Path, file_name: str = "") -> str:
    """``xlsx`` for a zip container (whatever the name says), ``csv`` for text; old .xls is refused."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise UnreadableFile("The file is empty.")
    if head.startswith(b"PK\x03\x04"):
        if not zipfile.is_zipfile(path):
            raise UnreadableFile("The file looks like an Excel workbook but is damaged.")
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV.")
    if file_name.lower().endswith((".xls", ".xlsm", ".ods", ".numbers")):
        raise UnreadableFile("Save the sheet as .xlsx or CSV to import it.")
    return "csv"


def detect_encoding(path: Path) -> str:
    """The first of UTF-8 (BOM optional), UTF-16 (BOM), Windows-1252 that decodes the whole file."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            # Streamed: a Windows-1252 byte on row 90,000 must not stop the import half-way.
            while chunk := handle.read(1024 * 1024):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            pass
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("cp1252")()
        try:
            while chunk := handle.read(1024 * 1024):
                decoder.decode(chunk)
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"  # decodes anything; the five bytes cp1252 leaves undefined are rare


_SEP_LINE = re.compile(r"^\s*sep=(.)\s*$")


def detect_delimiter(sample: str) -> tuple[str, int]:
    """(delimiter, lines to skip). The delimiter whose records agree best with the header's width."""
    first_line, _, rest = sample.partition("\n")
    hint = _SEP_LINE.match(first_line.rstrip("\r"))
    if hint:
        return hint.group(1), 1
    # Cut the sample after its last complete line so a half record does not skew the counts.
    if len(sample) >= SAMPLE_BYTES // 2 and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    best: tuple[float, int, int] | None = None
    best_delimiter = ","
    for rank, delimiter in enumerate(DELIMITERS):
        records = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if any(r)][:50]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        agreeing = sum(1 for r in records if len(r) == width) / len(records)
        score = (agreeing, width, -rank)
        if best is None or score > best:
            best, best_delimiter = score, delimiter
    return best_delimiter, 0


def detect_settings(path: Path, file_name: str = "") -> FileSettings:
    file_format = detect_format(path, file_name)
    if file_format == "xlsx":
        return FileSettings(format="xlsx")
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise UnreadableFile("The file is empty.")
    if "\x00" in sample:
        raise UnreadableFile("The file is not a text (CSV) file or an .xlsx workbook.")
    delimiter, skip = detect_delimiter(sample)
    return FileSettings(format="csv", encoding=encoding, delimiter=delimiter, skip_lines=skip)


def _is_blank(record: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in record)


def iter_records(path: Path, settings: FileSettings) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of every non-blank record, the header first. Row numbers count records as a
    spreadsheet shows them (blank ones included), so error messages point at the right row.
    Cells are strings (CSV) or typed values (xlsx)."""
    if settings.format == "xlsx":
        yield from _iter_xlsx(path)
        return
    try:
        with path.open("r", encoding=settings.encoding or "utf-8-sig", newline="") as handle:
            for _ in range(settings.skip_lines):
                handle.readline()
            reader = csv.reader(handle, delimiter=settings.delimiter or ",")
            for row, record in enumerate(reader, start=1):
                if record and not _is_blank(record):
                    yield row, record
    except UnicodeDecodeError as error:
        raise UnreadableFile(f"The file is not {settings.encoding} text: {error.reason}.") from None
    except csv.Error as error:
        raise UnreadableFile(f"The CSV cannot be parsed: {error}.") from None


def _iter_xlsx(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise UnreadableFile(f"The workbook cannot be opened: {error}.") from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise UnreadableFile("The workbook has no worksheet.")
        for row, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            record = [_xlsx_cell(value) for value in cells]
            if record and not _is_blank(record):
                yield row, record
    finally:
        workbook.close()


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 12345.0 from Excel is the number 12345 (postal codes, phone numbers)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def read_header_and_sample(
    path: Path, settings: FileSettings, rows: int = 10
) -> tuple[list[str], list[list]]:
    """The header (as strings) and the first ``rows`` data records."""
    records = iter_records(path, settings)
    try:
        _row, header = next(records)
    except StopIteration:
        raise UnreadableFile("The file has no rows.") from None
    sample = []
    for _row, record in records:
        sample.append(record)
        if len(sample) >= rows:
            break
    headers = [("" if cell is None else str(cell)).strip().lstrip("\ufeff") for cell in header]
    if sum(1 for h in headers if h) < 2:
        raise UnreadableFile(
            "The first row must name the columns (at least two), e.g. Company and Email; "
            "check that the file is a table with a header row."
        )
    return headers, sample


def count_records(path: Path, settings: FileSettings) -> int:
    """Data records in the file (the header not counted): the denominator of the progress bar."""
    count = -1
    for count, _record in enumerate(iter_records(path, settings)):  # noqa: B007
        pass
    return max(count, 0)
