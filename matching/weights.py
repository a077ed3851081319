"""Score components and their weights."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from numbers import Real

# The components of a score, in the order they are summed, stored and shown.
COMPONENTS = ("specialty", "size", "geography", "responsiveness", "capacity", "tier")

# Fit first (what the partner sells and where), then how well it answers; capacity and tier nudge.
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "specialty": 0.30,
    "size": 0.15,
    "geography": 0.20,
    "responsiveness": 0.20,
    "capacity": 0.10,
    "tier": 0.05,
}


class InvalidWeights(ValueError):
    """Weights were refused. ``errors`` maps each bad key (or ``"_schema"`` for the whole mapping)
    to a message, ready for a form or a JSON error body."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = errors


def validate_weights(weights: Mapping[str, object] | None) -> dict[str, float]:
    """Check a manufacturer's weights and return them normalised to sum to 1, in ``COMPONENTS`` order.

    Keys must be component names; values non-negative finite numbers (``int``, ``float``,
    ``Decimal``; not ``bool`` or strings); not all zero. A missing key takes its default weight, so
    ``{}`` or ``None`` gives the defaults. Raises :class:`InvalidWeights` naming every bad key.
    """
    if weights is None:
        weights = {}
    if not isinstance(weights, Mapping):
        raise InvalidWeights(
            {"_schema": f"weights must be a mapping of component to number, got {weights!r}"}
        )
    errors: dict[str, str] = {}
    for key in weights:
        if key not in COMPONENTS:
            errors[str(key)] = f"unknown component; known: {', '.join(COMPONENTS)}"
    merged: dict[str, float] = {}
    for key in COMPONENTS:
        value = weights.get(key, DEFAULT_WEIGHTS[key])
        if isinstance(value, bool) or not isinstance(value, Real | Decimal):
            errors[key] = f"must be a number, got {value!r}"
            continue
        number = float(value)
        if not math.isfinite(number):
            errors[key] = f"must be finite, got {value!r}"
        elif number < 0:
            errors[key] = f"must not be negative, got {value!r}"
        else:
            merged[key] = number
    if errors:
        raise InvalidWeights(errors)
    total = math.fsum(merged.values())
    if total <= 0:
        raise InvalidWeights({"_schema": "at least one weight must be above zero"})
    return {key: merged[key] / total for key in COMPONENTS}


def weighted_score(components: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """The score of a pair from its component values and normalised weights (``validate_weights``).

    The sum runs in ``COMPONENTS`` order; with normalised weights and components in [0, 1] the
    result lies in [0, 1] (clamped against the last rounding bit).
    """
    total = 0.0
    for key in COMPONENTS:
        total += weights[key] * components[key]
    return min(1.0, max(0.0, total))
