"""Response-time SLAs: business time (:mod:`exchange.sla.calendar`, pure), partner calendars
(:mod:`exchange.sla.partners`) and deadline policies (:mod:`exchange.sla.policies`).

Importing this package only loads the pure calendar; the other modules need the app's models.
"""

from exchange.sla.calendar import (
    AROUND_THE_CLOCK,
    BusinessCalendar,
    business_deadline,
    business_minutes_between,
    is_working_time,
    next_opening,
    parse_holidays,
)

__all__ = [
    "AROUND_THE_CLOCK",
    "BusinessCalendar",
    "business_deadline",
    "business_minutes_between",
    "is_working_time",
    "next_opening",
    "parse_holidays",
]
