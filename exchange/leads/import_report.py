"""What a file import reports: its summary figures and the rejected-rows CSV."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from exchange.leads.import_upload import upload_folder
from exchange.models import LeadImport
from exchange.platform.spreadsheet import safe_cell


def summary(record: LeadImport) -> dict[str, Any]:
    return {
        "import_id": record.id,
        "status": record.status.value,
        "rows": record.rows_done,
        "created": record.created_count,
        "updated": record.updated_count,
        "duplicates": record.duplicate_count,
        "rejected": record.rejected_count,
    }


class RejectedRows:
    """The rejected-rows CSV: row, reason, then the row's own cells (formula-escaped). Opened at the
    length the last committed batch left, so a resumed run writes no row twice."""

    def __init__(self, record: LeadImport) -> None:
        self.record = record
        self.handle = None
        self.writer: Any = None

    def _open(self) -> None:
        if self.record.rejected_path is None:
            self.record.rejected_path = str(upload_folder() / f"import-{self.record.id}-rejected.csv")
        path = Path(self.record.rejected_path)
        exists = path.exists() and self.record.rejected_bytes > 0
        self.handle = path.open("r+" if exists else "w", encoding="utf-8", newline="")
        if exists:
            self.handle.truncate(self.record.rejected_bytes)
            self.handle.seek(self.record.rejected_bytes)
        self.writer = csv.writer(self.handle)
        if not exists:
            self.handle.write("\ufeff")  # Excel reads UTF-8 only with a byte-order mark
            self.writer.writerow(["row", "reason", *(safe_cell(h) for h in self.record.headers)])

    def add(self, row: int, reason: str, cells: list[Any]) -> None:
        if self.handle is None:
            self._open()
        self.writer.writerow([row, safe_cell(reason), *(safe_cell(c) for c in cells)])

    def flush(self) -> int:
        if self.handle is None:
            return self.record.rejected_bytes
        self.handle.flush()
        return self.handle.tell()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
