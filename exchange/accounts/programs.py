"""A manufacturer's programme settings that steer matching."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _

import matching
from exchange.models import Organisation, User
from exchange.platform import events, jobs
from exchange.platform.errors import DomainError


def update_weights(actor: User, manufacturer: Organisation, weights: Mapping[str, float]) -> dict[str, float]:
    """Validate and store the component weights (normalised to sum to 1), record the change and
    re-rank the offers partners have not seen yet."""
    try:
        normalised = matching.validate_weights(dict(weights))
    except matching.InvalidWeights as error:
        details = "; ".join(f"{key}: {message}" for key, message in error.errors.items())
        raise DomainError(
            _("The weights are not valid: %(details)s", details=details), field="weights"
        ) from None
    previous = matching.validate_weights(manufacturer.program.matching_weights or None)
    manufacturer.program.matching_weights = {key: round(value, 6) for key, value in normalised.items()}
    events.record(
        "matching.weights_changed",
        actor=actor,
        manufacturer_id=manufacturer.id,
        data={"from": previous, "to": manufacturer.program.matching_weights},
    )
    jobs.enqueue("offers.rerank_unshown")
    return manufacturer.program.matching_weights
