"""Reading rows by id in batches: databases bound the number of parameters in one statement."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa

from exchange.platform.extensions import db


def chunks(values: Iterable[Any], size: int = 1000) -> Iterator[list[Any]]:
    """``values`` sorted, in lists of at most ``size``."""
    values = sorted(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def by_id(model: type, ids: Iterable[int | None]) -> dict[int, Any]:
    """The rows of ``model`` with these ids (None and missing ones left out), by id."""
    found: dict[int, Any] = {}
    for chunk in chunks({i for i in ids if i}):
        found.update({row.id: row for row in db.session.scalars(sa.select(model).where(model.id.in_(chunk)))})
    return found
