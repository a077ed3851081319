"""What reading a file yields and what it may cost: ``Limits``, ``FileSettings`` (how a file reads),
``BadRecord`` (a row to reject, with why) and ``UnreadableFile`` (a file not one row of which can be read).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MIB = 1024 * 1024


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


class UnreadableFile(ValueError):
    """The file cannot be read as a table at all (not a row of it can be imported)."""


class BadRecord(list):
    """A record that cannot be imported as it stands: ``problem`` says why (the cells are what could
    be read, for the rejected-rows file)."""

    def __init__(self, cells: list[Any], problem: str) -> None:
        super().__init__(cells)
        self.problem = problem


def size_text(chars: int) -> str:
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


def is_blank(record: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in record)
