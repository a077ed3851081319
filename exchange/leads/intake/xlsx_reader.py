"""Reading the first worksheet of an .xlsx workbook as a stream of records, row by row as its XML has
them (its declared dimension is not trusted), within the ``Limits``: the unpacked size, the shared
strings, the longest cell and the columns.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO
from xml.parsers import expat

from exchange.leads.intake.records import (
    DEFAULT_LIMITS,
    MIB,
    BadRecord,
    Limits,
    UnreadableFile,
    is_blank,
    size_text,
)

SHEET_CELL_FACTOR = 4  # .xlsx: a cell this many times over the cell limit refuses the file


class _LongText:
    """A shared string longer than the cell limit (its text is not kept)."""

    def __init__(self, length: int) -> None:
        self.length = length


def check_workbook(path: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a workbook that would unpack to more than the limit, before reading any of it (the
    declared sizes bind: zipfile stops an entry at its declared size)."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception as error:  # noqa: BLE001 - BadZipFile, OSError, NotImplementedError, ...
        raise UnreadableFile(f"The workbook cannot be opened: {error}.") from None
    if unpacked > limits.unpacked_bytes:
        raise UnreadableFile(
            f"The workbook unpacks to {unpacked / MIB:,.0f} MiB, more than the "
            f"{limits.unpacked_bytes / MIB:,.0f} MiB an import may read; split it into several files."
        )


SHEET_CHUNK = MIB


def check_sheet_cells(source: BinaryIO, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a sheet with a cell far over the cell limit before openpyxl reads it (it holds a cell's
    whole text in memory). A cell up to ``SHEET_CELL_FACTOR`` times the limit is read and its row
    rejected; beyond that the file is refused. Bytes between two ``<``, counted at C speed."""
    cap = limits.cell_chars * SHEET_CELL_FACTOR
    inner = re.compile(rb"[^<]{%d}" % (cap + 1)) if cap < SHEET_CHUNK else None
    run = 0  # the bytes since the last "<", at the end of the chunks read so far
    while chunk := source.read(SHEET_CHUNK):
        first = chunk.find(b"<")
        if first == -1:
            run += len(chunk)
        else:
            run += first
            if run > cap or (inner is not None and inner.search(chunk, first)):
                run = cap + 1
            else:
                run = len(chunk) - chunk.rfind(b"<") - 1
        if run > cap:
            raise UnreadableFile(
                f"The worksheet has a cell longer than {size_text(cap)}; shorten it to import the file."
            )


def read_shared_strings(source: BinaryIO, limits: Limits = DEFAULT_LIMITS) -> list[Any]:
    """The workbook's shared strings as openpyxl reads them (the ``t`` texts of each ``si``, phonetic
    runs left out), streamed by expat: a text over the cell limit is kept as its length only, and
    more strings than the limit stop the reading."""
    strings: list[Any] = []
    stack: list[str] = []
    parts: list[str] = []
    length = 0

    def start(name: str, _attrs: Any) -> None:
        nonlocal length
        local = name.rpartition(" ")[2]
        if local == "si":
            parts.clear()
            length = 0
        stack.append(local)

    def end(_name: str) -> None:
        local = stack.pop()
        if local == "si":
            if length > limits.cell_chars:
                strings.append(_LongText(length))
            else:
                strings.append("".join(parts).replace("x005F_", ""))
            if len(strings) > limits.shared_strings:
                raise UnreadableFile(
                    f"The workbook has more than {limits.shared_strings:,} distinct texts; "
                    "split it into several files."
                )

    def text(data: str) -> None:
        nonlocal length
        if len(stack) >= 2 and stack[-1] == "t" and (stack[-2] == "si" or stack[-2:] == ["r", "t"]):
            if "rPh" in stack:
                return
            length += len(data)
            if length <= limits.cell_chars:
                parts.append(data)
            else:
                parts.clear()

    def refuse_doctype(*_args: Any) -> None:
        raise UnreadableFile("The workbook's text table declares a document type; it is not read.")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = refuse_doctype
    try:
        parser.ParseFile(source)
    except expat.ExpatError as error:
        raise UnreadableFile(f"The workbook's text table is damaged: {error}.") from None
    return strings


def _open_workbook(path: Path, limits: Limits):
    # openpyxl takes about a second to import: only a process that reads a workbook pays for it.
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS

    class BoundedReader(ExcelReader):
        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                with self.archive.open(part.PartName[1:]) as source:
                    self.shared_strings = read_shared_strings(source, limits)

    check_workbook(path, limits)
    try:
        reader = BoundedReader(path, read_only=True, data_only=True)
        reader.read()
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        if isinstance(error, UnreadableFile):
            raise
        if isinstance(error.__cause__, UnreadableFile):  # openpyxl wraps what read_strings raised
            raise error.__cause__ from None
        raise UnreadableFile(f"The workbook cannot be opened: {error}.") from None
    return reader.wb


def iter_xlsx(path: Path, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl.worksheet._reader import WorkSheetParser  # imported late: see _open_workbook

    workbook = _open_workbook(path, limits)
    row = 0
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise UnreadableFile("The workbook has no worksheet.")
        with sheet._get_source() as source:
            check_sheet_cells(source, limits)
        # The rows as the sheet's XML has them: its declared dimension (A1:C2) is often stale, and
        # openpyxl's iter_rows would stop there and pad every row to the widest column.
        with sheet._get_source() as source:
            parser = WorkSheetParser(
                source,
                sheet._shared_strings,
                data_only=True,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            for row, cells in parser.parse():
                record = _xlsx_record(cells, limits)
                if isinstance(record, BadRecord) or not is_blank(record):
                    yield row, record
    except UnreadableFile:
        raise
    except Exception as error:  # noqa: BLE001 - a damaged sheet: the rows before it are read
        raise UnreadableFile(f"The workbook is damaged after row {row}: {error}.") from None
    finally:
        workbook.close()


def _xlsx_record(cells: list[dict[str, Any]], limits: Limits) -> list[Any]:
    width = max((c["column"] for c in cells if c["column"] <= limits.columns), default=0)
    record: list[Any] = [None] * width
    problem = None
    for cell in cells:
        column, value = cell["column"], cell["value"]
        if column > limits.columns:
            if value not in (None, ""):
                problem = f"The row has cells beyond column {limits.columns:,}, the most an import reads."
            continue
        if isinstance(value, _LongText) or (isinstance(value, str) and len(value) > limits.cell_chars):
            problem = f"A cell is longer than {size_text(limits.cell_chars)}."
            value = None
        record[column - 1] = _xlsx_cell(value)
    return BadRecord(record, problem) if problem else record


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 12345.0 from Excel is the number 12345 (postal codes, phone numbers)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
