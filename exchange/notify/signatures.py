"""How a webhook delivery is signed, and how a receiver checks it.

Each delivery is one POST of a JSON body with these headers::

    X-Exchange-Event: offer.created
    X-Exchange-Delivery: 4711                 (the same id on every retry and redelivery)
    X-Exchange-Timestamp: 1767261600          (Unix seconds of this attempt)
    X-Exchange-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the endpoint secret>
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from exchange.platform import clock

EVENT_HEADER = "X-Exchange-Event"
DELIVERY_HEADER = "X-Exchange-Delivery"
TIMESTAMP_HEADER = "X-Exchange-Timestamp"
SIGNATURE_HEADER = "X-Exchange-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a marker, not a secret


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Exchange-Signature`` value for ``body`` sent at ``timestamp`` (Unix seconds, text)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str, timestamp: str, body: bytes, signature: str, *, tolerance_seconds: int = 300
) -> bool:
    """What a receiver does (also the README's example): compare in constant time, refuse old ones."""
    try:
        age = abs(clock.now().timestamp() - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance_seconds and hmac.compare_digest(sign(secret, timestamp, body), signature)


def encode_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent (compact, sorted keys: the same on every retry)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)
