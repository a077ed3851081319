"""``LeadInputSchema``: the one validation of a lead, whether it comes from a file row, the API or
the form. Values arrive as text (files, form) or JSON types (API); empty text means "no value"."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _

from exchange.leads.fields import INPUT_COLUMNS
from exchange.leads.intake import values

MAX_NUMBER = Decimal("999999999999")  # Numeric(14, 2)
MAX_EMPLOYEES = 10_000_000


def _refuse_nul(text: str) -> str:
    # PostgreSQL text cannot hold NUL: the row is rejected here, on every database alike.
    if "\x00" in text:
        raise ma.ValidationError(_("Contains a NUL character (0x00); remove it."))
    return text


def _text(value: Any) -> str:
    if isinstance(value, str):
        return _refuse_nul(value).strip()
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ma.ValidationError(_("Not a valid text."))
    return str(value)


class LeanField(ma.fields.Field):
    """A field whose checks live in ``_deserialize``: skips marshmallow building an empty ``And``
    validator for every value (a tenth of the time of a 100,000-row import)."""

    def _validate(self, value: Any) -> None:
        if self.validators:
            super()._validate(value)


class Text(LeanField):
    """Stripped text; '' is None. Spreadsheet numbers (a phone, a postal code) become their digits."""

    def __init__(self, max_length: int, *, not_empty: bool = False, **kwargs: Any) -> None:
        super().__init__(allow_none=not_empty is False, **kwargs)
        self.max_length = max_length
        self.not_empty = not_empty

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = _text(value)
        # A CSV export with formula escaping ("'=...") round-trips to the original text.
        if len(text) > 1 and text[0] == "'" and text[1] in "=+-@":
            text = text[1:]
        if not text:
            if self.not_empty:
                raise ma.ValidationError(_("Missing: every lead needs this."))
            return None
        if len(text) > self.max_length:
            raise ma.ValidationError(_("Longer than %(n)d characters.", n=self.max_length))
        return text


class Email(Text):
    _PATTERN = re.compile(r"^[^@\s<>(),;:\"]+@[^@\s<>(),;:\"]+\.[A-Za-z]{2,}$")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(254, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None:
            return None
        text = text.removeprefix("mailto:")
        if not self._PATTERN.match(text) or ".." in text:
            raise ma.ValidationError(_("Not a valid e-mail address: %(value)s", value=text[:80]))
        return text


class Website(Text):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(254, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None:
            return None
        if not re.match(r"^(https?://)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?([/?#]\S*)?$", text):
            raise ma.ValidationError(_("Not a valid web address: %(value)s", value=text[:80]))
        return text if text.startswith(("http://", "https://")) else f"https://{text}"


class Number(LeanField):
    """A non-negative decimal (or whole number) from JSON numbers or text in the German or English
    convention (``number_format`` of the schema decides the ambiguous '1.234')."""

    def __init__(self, *, whole: bool = False, maximum: Decimal = MAX_NUMBER, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)
        self.whole = whole
        self.maximum = maximum

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal | int | None:
        if isinstance(value, bool):
            raise self._invalid(value)
        if isinstance(value, int | Decimal):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(str(value))
        elif isinstance(value, str):
            if not _refuse_nul(value).strip():
                return None
            try:
                number = values.parse_number(value, getattr(self.parent, "number_format", "en"))
            except ValueError:
                raise self._invalid(value) from None
        else:
            raise self._invalid(value)
        if not number.is_finite():
            raise self._invalid(value)
        if number < 0:
            raise ma.ValidationError(_("Must not be negative."))
        if number > self.maximum:
            raise ma.ValidationError(_("Too large."))
        if self.whole:
            if number != number.to_integral_value():
                raise ma.ValidationError(_("Not a whole number: %(value)s", value=str(value)[:40]))
            return int(number)
        return number.quantize(Decimal("0.01"))

    def _invalid(self, value: Any) -> ma.ValidationError:
        if self.whole:
            return ma.ValidationError(_("Not a whole number: %(value)s", value=str(value)[:40]))
        return ma.ValidationError(_("Not a number: %(value)s", value=str(value)[:40]))


class Country(LeanField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = _text(value)
        if not text:
            return None
        code = values.country_code(text)
        if code is None:
            raise ma.ValidationError(
                _("Unknown country: %(value)s (use an ISO code such as DE or a name)", value=text[:60])
            )
        return code


class Criterion(LeanField):
    """One of the five qualification criteria: met (true), not met (false) or unknown (null / '')."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        text = _text(value)
        if not text:
            return None
        try:
            return values.yes_no(text)
        except ValueError:
            raise ma.ValidationError(
                _("Not yes or no: %(value)s (use yes/no, true/false, 1/0, ja/nein)", value=text[:40])
            ) from None


class Rating(LeanField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = _text(value)
        if not text:
            return None
        temperature = values.temperature_for_rating(text)
        if temperature is None:
            raise ma.ValidationError(_("Unknown rating: %(value)s (use hot, warm or cold)", value=text[:40]))
        return temperature.value


class Currency(Text):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(3, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = _text(value).upper()
        text = {"€": "EUR", "$": "USD", "£": "GBP"}.get(text, text)
        if not text:
            return None
        if not re.fullmatch(r"[A-Z]{3}", text):
            raise ma.ValidationError(
                _("Not a currency code (three letters, e.g. EUR): %(value)s", value=text[:20])
            )
        return text


# The lead columns the schema fills (the rest of its keys are resolved by the service).
LEAD_COLUMNS = INPUT_COLUMNS


class LeadInputSchema(ma.Schema):
    """A lead as the manufacturer gives it. ``number_format`` ('en' or 'de') reads ambiguous numbers."""

    class Meta:
        unknown = ma.RAISE

    source_id = Text(128, metadata={"description": "The lead's id in your CRM (de-duplication key)."})
    lead_source = Text(128, metadata={"description": "Where the lead came from, e.g. Web, Trade Show."})
    company_name = Text(200, required=True, not_empty=True)
    contact_first_name = Text(120)
    contact_last_name = Text(120)
    contact_title = Text(200)
    contact_email = Email()
    contact_phone = Text(64)
    street = Text(200)
    postal_code = Text(16)
    city = Text(120)
    region = Text(64, metadata={"description": "Region or state; known names become codes (Bayern -> BY)."})
    country = Country(metadata={"description": "ISO 3166-1 alpha-2 code or an English or German name."})
    industry = Text(120)
    employees = Number(whole=True, maximum=Decimal(MAX_EMPLOYEES))
    annual_revenue = Number()
    website = Website()
    product_interest = Text(200, metadata={"description": "Matched to a product line by code or name."})
    product_line = Text(64, metadata={"description": "Product line code (must exist)."})
    estimated_value = Number()
    currency = Currency()
    description = Text(10_000)
    campaign_id = ma.fields.Integer(allow_none=True, strict=False)
    campaign = Text(200, metadata={"description": "Campaign name; created when it does not exist."})
    need = Criterion()
    fit = Criterion()
    budget = Criterion()
    authority = Criterion()
    timeframe = Criterion()
    rating = Rating(
        metadata={"description": "hot / warm / cold (heiß / warm / kalt): used when no criterion is known."}
    )
    crm_status = Text(200, load_only=True, metadata={"description": "Kept in the lead's history."})
    lifecycle_stage = Text(200, load_only=True, metadata={"description": "Kept in the lead's history."})

    def __init__(self, *args: Any, number_format: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.number_format = number_format

    @ma.validates_schema(skip_on_field_errors=False, pass_original=True)
    def _reachable(self, data: dict[str, Any], original: Any, partial: Any = None, **kwargs: Any) -> None:
        if partial or not isinstance(original, dict):
            return  # not an object at all: marshmallow already says so
        given = [original.get(key) for key in ("contact_email", "contact_phone")]
        if not any(value is not None and str(value).strip() for value in given):
            raise ma.ValidationError(
                _("A lead needs an e-mail address or a phone number."), field_name="contact_email"
            )

    @ma.post_load
    def _codes(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        values.place_codes(data, data.get("country"))
        return data
