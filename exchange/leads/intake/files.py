"""Reading an uploaded or given file as a stream of records (lists of cell values).

CSV: UTF-8 with or without a byte-order mark, UTF-16 (Excel's "Unicode text"), else Windows-1252;
comma, semicolon, tab or pipe delimiters, detected from the first records (or Excel's ``sep=;`` line);
quoted fields with embedded newlines; CR, LF or CRLF line ends. .xlsx: the first worksheet, streamed
row by row (its declared dimension is not trusted).

Hostile or broken input costs bounded memory and time (``Limits``): a record too large, a row that
does not decode like the rest of the file or a quote that never closes becomes a ``BadRecord`` (the
import rejects that row and goes on); a file over a limit as a whole is an ``UnreadableFile`` that
names the limit.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO
from xml.parsers import expat

from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS

MIB = 1024 * 1024
SHEET_CELL_FACTOR = 4  # .xlsx: a cell this many times over the cell limit refuses the file
SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8-sig", "utf-16", "cp1252", "latin-1")
FORMATS = ("csv", "xlsx")
QUOTE = '"'


@dataclass(frozen=True)
class Limits:
    """What one file may cost. A record (CSV) or cell (.xlsx) over ``cell_chars`` is a rejected row;
    the others make the whole file unreadable with a message naming the limit."""

    cell_chars: int = 10 * MIB
    columns: int = 1_000
    rows: int = 1_000_000
    unpacked_bytes: int = 512 * MIB  # .xlsx: the zip entries' declared sizes together
    shared_strings: int = 3_000_000  # .xlsx: distinct texts in the workbook

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Limits:
        default = cls()
        return cls(
            cell_chars=int(config.get("LEAD_IMPORT_MAX_CELL_CHARS") or default.cell_chars),
            columns=int(config.get("LEAD_IMPORT_MAX_COLUMNS") or default.columns),
            rows=int(config.get("LEAD_IMPORT_MAX_ROWS") or default.rows),
            unpacked_bytes=int(config.get("LEAD_IMPORT_MAX_UNPACKED_BYTES") or default.unpacked_bytes),
            shared_strings=int(config.get("LEAD_IMPORT_MAX_SHARED_STRINGS") or default.shared_strings),
        )


DEFAULT_LIMITS = Limits()
# Our own guard stops a record at ``Limits.cell_chars``; the csv module's must not stop it first.
csv.field_size_limit(2**31 - 1)


class UnreadableFile(ValueError):
    """The file cannot be read as a table at all (not a row of it can be imported)."""


class BadRecord(list):
    """A record that cannot be imported as it stands: ``problem`` says why (the cells are what could
    be read, for the rejected-rows file)."""

    def __init__(self, cells: list[Any], problem: str) -> None:
        super().__init__(cells)
        self.problem = problem


def _mib(chars: int) -> str:
    return f"{chars / MIB:g} MiB" if chars >= MIB else f"{chars:,} characters"


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


_LINE_BREAKS = re.compile(rb"[\r\n]+")


def _byte_lines(handle: BinaryIO) -> Iterator[bytes]:
    """The file's lines (CR, LF or CRLF), in pieces of at most a chunk: for counting evidence."""
    carry = b""
    while chunk := handle.read(MIB):
        pieces = _LINE_BREAKS.split(carry + chunk)
        carry = pieces.pop()
        if len(carry) > MIB:  # one very long line: judge it a chunk at a time
            pieces.append(carry[:MIB])
            carry = carry[MIB:]
        yield from pieces
    if carry:
        yield carry


def detect_encoding(path: Path) -> str:
    """UTF-16 by its byte-order mark; UTF-8 when the whole file decodes; otherwise the evidence of the
    lines: UTF-8 when at least as many non-ASCII lines are valid UTF-8 as are not (the others are then
    rows that do not decode, each reported), else Windows-1252."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(MIB):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            pass
        handle.seek(0)
        utf8 = other = 0
        for line in _byte_lines(handle):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as error:
                # A chunk cut inside a character is not evidence against UTF-8.
                if error.reason != "unexpected end of data":
                    other += 1
                    continue
            utf8 += 1
        return "utf-8-sig" if utf8 >= other else "cp1252"


_SEP_LINE = re.compile(r"^\s*sep=(.)\s*$")
_FIRST_LINE = re.compile(r"\r\n|\r|\n")


def detect_delimiter(sample: str) -> tuple[str, int]:
    """(delimiter, lines to skip). The delimiter whose records agree best with the header's width."""
    first_line = _FIRST_LINE.split(sample, maxsplit=1)[0]
    hint = _SEP_LINE.match(first_line)
    if hint:
        return hint.group(1), 1
    # Cut the sample after its last complete line so a half record does not skew the counts.
    if len(sample) >= SAMPLE_BYTES // 2:
        last = max(sample.rfind("\n"), sample.rfind("\r"))
        if last > 0:
            sample = sample[:last]
    best: tuple[float, int, int] | None = None
    best_delimiter = ","
    for rank, delimiter in enumerate(DELIMITERS):
        records = []
        try:
            # newline="": CR, LF and CRLF all end a line, as in the file itself.
            for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
                if any(record):
                    records.append(record)
                if len(records) >= 50:
                    break
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        agreeing = sum(1 for r in records if len(r) == width) / len(records)
        score = (agreeing, width, -rank)
        if best is None or score > best:
            best, best_delimiter = score, delimiter
    return best_delimiter, 0


def detect_settings(path: Path, file_name: str = "", limits: Limits = DEFAULT_LIMITS) -> FileSettings:
    file_format = detect_format(path, file_name)
    if file_format == "xlsx":
        check_workbook(path, limits)
        return FileSettings(format="xlsx")
    encoding = detect_encoding(path)
    with _open_text(path, encoding) as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise UnreadableFile("The file is empty.")
    if "\x00" in _FIRST_LINE.split(sample.lstrip("\ufeff"), maxsplit=1)[0]:
        raise UnreadableFile("The file is not a text (CSV) file or an .xlsx workbook.")
    delimiter, skip = detect_delimiter(sample)
    return FileSettings(format="csv", encoding=encoding, delimiter=delimiter, skip_lines=skip)


def _open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    # surrogateescape: a byte that does not decode marks its line (see _CsvLines) instead of stopping.
    return path.open("r", encoding=encoding, errors="surrogateescape", newline="")


def _is_blank(record: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in record)


def iter_records(
    path: Path, settings: FileSettings, limits: Limits = DEFAULT_LIMITS
) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of every non-blank record, the header first. Row numbers count records as a
    spreadsheet shows them (blank ones included), so error messages point at the right row.
    Cells are strings (CSV) or typed values (xlsx); a ``BadRecord`` is a row to reject."""
    if settings.format == "xlsx":
        yield from _iter_xlsx(path, limits)
    else:
        yield from _iter_csv(path, settings, limits)


# --- CSV -------------------------------------------------------------------------------------------

_SURROGATES = re.compile("[\udc80-\udcff]")


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
        if _SURROGATES.search(line):
            if self.legacy:  # the five bytes Windows-1252 leaves undefined: read them as Latin-1
                return _SURROGATES.sub(lambda m: chr(ord(m.group()) - 0xDC00), line)
            self.problem = self.problem or (
                f"The row is not {self.encoding_name} text like the rest of the file "
                "(another encoding, e.g. Windows-1252?); save it as UTF-8 and import it again."
            )
            if self.utf8:  # what the row most likely says, for the rejected-rows file
                return line.encode("utf-8", "surrogateescape").decode("cp1252", "replace")
            return _SURROGATES.sub("\ufffd", line)
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


def _iter_csv(path: Path, settings: FileSettings, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    encoding = settings.encoding or "utf-8-sig"
    delimiter = settings.delimiter or ","
    try:
        with _open_text(path, encoding) as handle:
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
                        yield row, BadRecord([], f"The row is larger than {_mib(limits.cell_chars)}.")
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
                elif record and not _is_blank(record):
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


# --- .xlsx -----------------------------------------------------------------------------------------


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
                f"The worksheet has a cell longer than {_mib(cap)}; shorten it to import the file."
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


def _iter_xlsx(path: Path, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
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
                if isinstance(record, BadRecord) or not _is_blank(record):
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
            problem = f"A cell is longer than {_mib(limits.cell_chars)}."
            value = None
        record[column - 1] = _xlsx_cell(value)
    return BadRecord(record, problem) if problem else record


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # 12345.0 from Excel is the number 12345 (postal codes, phone numbers)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


# --- what the import reads first -------------------------------------------------------------------

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
        raise UnreadableFile(f"The first row is larger than {_mib(limits.cell_chars)}.")
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
    text = _SURROGATES.sub("\ufffd", text.replace("\x00", ""))
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
