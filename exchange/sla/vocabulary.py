"""The SLA clocks by name, and how people read them.

Three clocks run on a lead: the claim window of each wave, first contact after a claim, and the
status-update cadence while the lead is open. In code each has one name (:class:`SlaClock`). Its
value is what the event log and claims store (``events.data["clock"]``, ``"SLA breach: <clock>"``);
the notification texts and webhook bodies have always called the update clock ``status_update``
(:attr:`SlaClock.payload_name`), and :meth:`SlaClock.parse` reads either spelling.
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l


class SlaClock(enum.StrEnum):
    CLAIM = "claim"  # from an offer becoming visible to its claim deadline (per wave)
    FIRST_CONTACT = "first_contact"  # from the claim to the first logged contact
    UPDATE = "next_update"  # from the last status update to the next one due, while the lead is open

    @property
    def payload_name(self) -> str:
        """The name notifications and webhook bodies carry under ``sla``."""
        return "status_update" if self is SlaClock.UPDATE else self.value

    @classmethod
    def parse(cls, name: Any) -> SlaClock | None:
        """The clock a stored or sent name stands for (either spelling); None for anything else."""
        if name == "status_update":
            return cls.UPDATE
        try:
            return cls(name)
        except ValueError:
            return None


class ClockLabel(NamedTuple):
    name: Any  # in a sentence: "missed the first contact deadline"
    due: Any  # before a countdown: "First contact within: 3 h"


CLOCK_LABELS = {
    SlaClock.CLAIM: ClockLabel(_l("claim window"), _l("Claim within")),
    SlaClock.FIRST_CONTACT: ClockLabel(_l("first contact"), _l("First contact within")),
    SlaClock.UPDATE: ClockLabel(_l("status update"), _l("Next update within")),
}


def clock_name(name: Any) -> str:
    """A clock's name in words, for a stored or sent name; anything else as it is."""
    clock = SlaClock.parse(name)
    return str(CLOCK_LABELS[clock].name) if clock is not None else str(name)


def clock_due(name: Any) -> str:
    """The caption before a clock's countdown ("Claim within"); "–" for none."""
    if name is None:
        return "–"
    clock = SlaClock.parse(name)
    return str(CLOCK_LABELS[clock].due) if clock is not None else str(name)
