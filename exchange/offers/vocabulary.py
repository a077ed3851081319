"""The offers' own vocabulary in words: why a partner declines an offer.

:class:`DeclineReason` is stored on the offer (``offers.decline_reason``), so it lives with the
models; its label table lives here, the one the decline form, the lead pages and the history use.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from exchange.models import DeclineReason

__all__ = ["DECLINE_REASON_LABELS", "DeclineReason"]

DECLINE_REASON_LABELS = {
    DeclineReason.TOO_SMALL: _l("Too small for us"),
    DeclineReason.TOO_LARGE: _l("Too large for us"),
    DeclineReason.OUTSIDE_TERRITORY: _l("Outside our territory"),
    DeclineReason.NOT_OUR_PRODUCT_LINE: _l("Not our product line"),
    DeclineReason.NO_CAPACITY: _l("No capacity right now"),
    DeclineReason.BAD_DATA: _l("Bad or incomplete data"),
    DeclineReason.OTHER: _l("Other (please say why)"),
}
