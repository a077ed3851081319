"""Where the partner is based, as profile fields (used by
:class:`exchange.partners.profile_schema.ProfileSchema`): the country (ISO 3166-1 alpha-2), the
region (a subdivision code as the ``holidays`` package names them, e.g. BY; "DE-BY" is read as BY),
the postal code, the website, and whether the place's public holidays count as days off. Each text
is optional: empty or null clears it."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import marshmallow as ma
from flask_babel import gettext as _

from exchange.partners.profile_fields import POSTAL_PREFIX_PATTERN, REGION_PATTERN, Rule, short
from exchange.platform.iso_codes import is_country

MAX_WEBSITE = 300
_HOST = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)+$"
)


class _OptionalText(Rule, ma.fields.String):
    """Text, trimmed; empty or null is no value (``None``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)

    def null_message(self) -> str:  # null is allowed; kept for Rule
        return self._message("")

    def _message(self, value: Any) -> str:
        raise NotImplementedError

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise ma.ValidationError(self._message(value))
        text = " ".join(value.split())
        return self._clean(text) if text else None

    def _clean(self, text: str) -> str:
        raise NotImplementedError


class Country(_OptionalText):
    def _message(self, value: Any) -> str:
        return _("Country: unknown country '%(code)s' (use an ISO code such as DE).", code=short(value, 10))

    def _clean(self, text: str) -> str:
        code = text.upper()
        if not is_country(code):
            raise ma.ValidationError(self._message(text))
        return code


class Region(_OptionalText):
    def _message(self, value: Any) -> str:
        return _(
            "Region: '%(value)s' is not a region code (letters and digits, e.g. BY).", value=short(value)
        )

    def _clean(self, text: str) -> str:
        code = text.upper()
        if re.fullmatch(r"[A-Z]{2}-.+", code):  # ISO 3166-2 writes the country first: DE-BY
            code = code[3:]
        if len(code) > 64 or not REGION_PATTERN.match(code):
            raise ma.ValidationError(self._message(text))
        return code


class PostalCode(_OptionalText):
    def _message(self, value: Any) -> str:
        return _(
            "Postal code: '%(value)s' is not a postal code (up to 16 letters and digits).", value=short(value)
        )

    def _clean(self, text: str) -> str:
        code = text.upper()
        if len(code) > 16 or not POSTAL_PREFIX_PATTERN.match(code):
            raise ma.ValidationError(self._message(text))
        return code


class Website(_OptionalText):
    def _message(self, value: Any) -> str:
        return _("Website: '%(value)s' is not a web address (e.g. https://example.com).", value=short(value))

    def _clean(self, text: str) -> str:
        address = text if "://" in text else f"https://{text}"
        try:
            parts = urlsplit(address)
            host = parts.hostname or ""
        except ValueError:
            raise ma.ValidationError(self._message(text)) from None
        if (
            parts.scheme.lower() not in ("http", "https")
            or " " in address
            or not _HOST.match(host)
            or parts.username
            or parts.password
            or len(address) > MAX_WEBSITE
        ):
            raise ma.ValidationError(self._message(text))
        return address


class Flag(Rule, ma.fields.Boolean):
    """True or false (also "true"/"false", "yes"/"no", 1/0, as marshmallow reads them)."""

    def __init__(self, label: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.label = label

    def null_message(self) -> str:
        return _("%(label)s: true or false.", label=self.label)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ma.ValidationError:
            raise ma.ValidationError(self.null_message()) from None
