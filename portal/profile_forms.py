"""The profile form. It only parses what the browser sends (numbers, times, lists); the rules of the
domain (known countries, ranges, consistency) live in ``exchange.partners.profiles``, so the form and
the API give the same messages."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal
from typing import Any

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from exchange.models import Enrollment, ProductLine, Segment

SEGMENT_LABELS = {
    Segment.SMALL: _l("Small businesses"),
    Segment.MID_MARKET: _l("Mid-market"),
    Segment.ENTERPRISE: _l("Enterprise"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CoverageRowForm(Form):
    country = StringField(_l("Country"), render_kw={"maxlength": 2, "autocomplete": "off"})
    region = StringField(_l("Region"), render_kw={"maxlength": 64})
    postal_prefix = StringField(_l("Postal code prefix"), render_kw={"maxlength": 16})
    remove = BooleanField(_l("Remove"))

    def is_blank(self) -> bool:
        return not any((self.country.data or "", self.region.data or "", self.postal_prefix.data or ""))


def split_list(text: str | None, separators: str = r"[,;\n]") -> list[str]:
    """Comma-, semicolon- or line-separated entries, trimmed, empty ones dropped."""
    return [part.strip() for part in re.split(separators, text or "") if part.strip()]


class ProfileForm(FlaskForm):
    version = HiddenField()
    employees = IntegerField(_l("Employees"), validators=[Optional()], description=_l("Sets your size band."))
    annual_revenue = DecimalField(_l("Annual revenue"), validators=[Optional()], places=2)
    industries = StringField(
        _l("Industries served"), description=_l("Separated by commas, e.g. Manufacturing, Utilities")
    )
    certifications = StringField(
        _l("Certifications"), description=_l("Separated by commas, e.g. ISO 9001, Certified Installer")
    )
    segments = MultiCheckboxField(
        _l("Customer segments served"),
        choices=[SelectChoice(segment.value, label) for segment, label in SEGMENT_LABELS.items()],
    )
    coverage = FieldList(FormField(CoverageRowForm), min_entries=1)
    latitude = FloatField(_l("Latitude"), validators=[Optional()])
    longitude = FloatField(_l("Longitude"), validators=[Optional()])
    radius_km = FloatField(_l("Radius (km)"), validators=[Optional()])
    capacity = IntegerField(
        _l("Capacity"),
        validators=[InputRequired(message=_l("Capacity: a whole number from 1 to 1000."))],
        description=_l("How many leads you can have in progress at once (1 to 1000)."),
    )
    timezone = StringField(
        _l("Time zone"), description=_l("IANA name, e.g. Europe/Berlin"), render_kw={"list": "zone-list"}
    )
    working_days = MultiCheckboxField(_l("Working days"), coerce=int, choices=[])
    work_start = TimeField(_l("Opens at"), validators=[InputRequired()])
    work_end = TimeField(_l("Closes at"), validators=[InputRequired()])
    holidays = TextAreaField(
        _l("Holidays"),
        description=_l("Dates (YYYY-MM-DD), one per line or separated by commas or spaces."),
        render_kw={"rows": 3},
    )
    languages = StringField(
        _l("Languages"), description=_l("Language codes separated by commas, e.g. de, en")
    )
    submit = SubmitField(_l("Save profile"))

    def programme_fields(self) -> list[tuple[Enrollment, MultiCheckboxField]]:
        return [
            (enrollment, self[f"programme_{enrollment.manufacturer_id}"]) for enrollment in self._programmes
        ]

    def coverage_rows(self) -> list[dict[str, Any]]:
        """The rows to keep, each with its position as shown (messages name rows by it)."""
        rows = []
        for position, entry in enumerate(self.coverage.entries, start=1):
            row = entry.form
            if row.remove.data or row.is_blank():
                continue
            rows.append(
                {
                    "position": position,
                    "country": row.country.data,
                    "region": row.region.data,
                    "postal_prefix": row.postal_prefix.data,
                }
            )
        return rows

    def profile_data(self) -> dict[str, Any]:
        """What the form says, in the shape ``update_profile`` takes."""
        return {
            "employees": self.employees.data,
            "annual_revenue": self.annual_revenue.data,
            "industries": split_list(self.industries.data),
            "certifications": split_list(self.certifications.data),
            "segments": list(self.segments.data or []),
            "coverage": self.coverage_rows(),
            "latitude": self.latitude.data,
            "longitude": self.longitude.data,
            "radius_km": self.radius_km.data,
            "capacity": self.capacity.data,
            "timezone": self.timezone.data,
            "working_days": list(self.working_days.data or []),
            "work_start": self.work_start.data,
            "work_end": self.work_end.data,
            # Dates and language codes hold no spaces: any space separates them too.
            "holidays": split_list(self.holidays.data, r"[\s,;]+"),
            "languages": split_list(self.languages.data, r"[\s,;]+"),
            "programmes": {
                str(enrollment.manufacturer_id): list(field.data or [])
                for enrollment, field in self.programme_fields()
            },
        }


def build_profile_form(
    programmes: list[tuple[Enrollment, list[ProductLine]]], values: dict[str, Any] | None = None
) -> ProfileForm:
    """The form with one product-line field per programme. ``values`` (the profile as
    ``profile_values`` returns it) fills a fresh form; without it the form reads the request."""

    class BoundProfileForm(ProfileForm):
        pass

    for enrollment, lines in programmes:
        setattr(
            BoundProfileForm,
            f"programme_{enrollment.manufacturer_id}",
            MultiCheckboxField(
                enrollment.manufacturer.name, choices=[SelectChoice(line.code, line.name) for line in lines]
            ),
        )
    data = None
    if values is not None:
        data = dict(values)
        data["industries"] = ", ".join(values["industries"])
        data["certifications"] = ", ".join(values["certifications"])
        data["holidays"] = "\n".join(values["holidays"])
        data["languages"] = ", ".join(values["languages"])
        data["coverage"] = [*values["coverage"], {}]  # one empty row to add to
        for key, codes in values["programmes"].items():
            data[f"programme_{key}"] = codes
        data["work_start"] = time.fromisoformat(values["work_start"])
        data["work_end"] = time.fromisoformat(values["work_end"])
        if values["annual_revenue"] is not None:
            data["annual_revenue"] = Decimal(values["annual_revenue"])
        form = BoundProfileForm(formdata=None, data=data)
    else:
        form = BoundProfileForm()
    form._programmes = [enrollment for enrollment, _lines in programmes]
    days = get_day_names("wide", locale=get_locale())
    form.working_days.choices = [SelectChoice(n, days[n - 1]) for n in range(1, 8)]
    return form
