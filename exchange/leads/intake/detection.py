"""How a file reads: its format (.xlsx or text; old .xls refused), a CSV's encoding and its delimiter.

CSV: UTF-8 with or without a byte-order mark, UTF-16 (Excel's "Unicode text"), else Windows-1252;
comma, semicolon, tab or pipe delimiters, detected from the first records (or Excel's ``sep=;`` line).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from exchange.leads.intake.csv_reader import open_text
from exchange.leads.intake.records import DEFAULT_LIMITS, MIB, FileSettings, Limits, UnreadableFile
from exchange.leads.intake.xlsx_reader import check_workbook

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8-sig", "utf-16", "cp1252", "latin-1")
FORMATS = ("csv", "xlsx")


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
    with open_text(path, encoding) as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise UnreadableFile("The file is empty.")
    if "\x00" in _FIRST_LINE.split(sample.lstrip("\ufeff"), maxsplit=1)[0]:
        raise UnreadableFile("The file is not a text (CSV) file or an .xlsx workbook.")
    delimiter, skip = detect_delimiter(sample)
    return FileSettings(format="csv", encoding=encoding, delimiter=delimiter, skip_lines=skip)
