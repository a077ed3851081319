"""The profile form. It renders the profile and reads what the browser sends as the texts and lists
it is; every rule - numbers, times, known countries, ranges, consistency - is the profile's one schema
(``exchange.partners.profile_schema``), applied by ``update_profile``, so the form and the API accept
and refuse the same values with the same messages. The view maps the refusal onto the fields."""

from __future__ import annotations

import re
from typing import Any

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput, TimeInput

from exchange.models import Enrollment, ProductLine, Segment

SEGMENT_LABELS = {
    Segment.SMALL: _l("Small businesses"),
    Segment.MID_MARKET: _l("Mid-market"),
    Segment.ENTERPRISE: _l("Enterprise"),
}


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes whose ticked values go on as they are (the schema knows which exist)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, validate_choice=False, **kwargs)


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
    employees = StringField(_l("Employees"), widget=NumberInput(), description=_l("Sets your size band."))
    annual_revenue = StringField(_l("Annual revenue"), widget=NumberInput(step="any"))
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
    latitude = StringField(_l("Latitude"), widget=NumberInput(step="any"))
    longitude = StringField(_l("Longitude"), widget=NumberInput(step="any"))
    radius_km = StringField(_l("Radius (km)"), widget=NumberInput(step="any"))
    capacity = StringField(
        _l("Capacity"),
        widget=NumberInput(),
        render_kw={"required": True},
        description=_l("How many leads you can have in progress at once (1 to 1000)."),
    )
    timezone = StringField(
        _l("Time zone"), description=_l("IANA name, e.g. Europe/Berlin"), render_kw={"list": "zone-list"}
    )
    working_days = MultiCheckboxField(_l("Working days"), choices=[])
    work_start = StringField(_l("Opens at"), widget=TimeInput(), render_kw={"required": True})
    work_end = StringField(_l("Closes at"), widget=TimeInput(), render_kw={"required": True})
    holidays = TextAreaField(
        _l("Holidays"),
        description=_l("Dates (YYYY-MM-DD), one per line or separated by commas or spaces."),
        render_kw={"rows": 3},
    )
    languages = StringField(
        _l("Languages"), description=_l("Language codes separated by commas, e.g. de, en")
    )
    country = StringField(
        _l("Country"),
        description=_l("Where you are based (ISO code, e.g. DE)."),
        render_kw={"maxlength": 2, "autocomplete": "off", "list": "country-list"},
    )
    region = StringField(
        _l("Region"),
        description=_l("State or region code, e.g. BY for Bavaria: its public holidays count too."),
        render_kw={"maxlength": 64},
    )
    postal_code = StringField(_l("Postal code"), render_kw={"maxlength": 16})
    website = StringField(_l("Website"), render_kw={"maxlength": 300, "placeholder": "https://"})
    public_holidays = SelectField(
        _l("Public holidays"),
        choices=[
            SelectChoice("yes", _l("Days off: the public holidays of my country and region")),
            SelectChoice("no", _l("Working days: only my own holidays are days off")),
        ],
        validate_choice=False,
        description=_l("SLA deadlines do not run on days off."),
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
        """What the form says, in the shape ``update_profile`` takes: texts as typed (an empty box is
        no value), lists split as people type them. A choice the browser did not send is left out."""
        data = self._fields_data()
        if self.public_holidays.data in ("yes", "no"):
            data["public_holidays"] = self.public_holidays.data == "yes"
        return data

    def _fields_data(self) -> dict[str, Any]:
        return {
            "employees": _text(self.employees.data),
            "annual_revenue": _text(self.annual_revenue.data),
            "industries": split_list(self.industries.data),
            "certifications": split_list(self.certifications.data),
            "segments": list(self.segments.data or []),
            "coverage": self.coverage_rows(),
            "latitude": _text(self.latitude.data),
            "longitude": _text(self.longitude.data),
            "radius_km": _text(self.radius_km.data),
            "capacity": _text(self.capacity.data),
            "timezone": self.timezone.data,
            "working_days": list(self.working_days.data or []),
            "work_start": self.work_start.data,
            "work_end": self.work_end.data,
            # Dates and language codes hold no spaces: any space separates them too.
            "holidays": split_list(self.holidays.data, r"[\s,;]+"),
            "languages": split_list(self.languages.data, r"[\s,;]+"),
            "country": _text(self.country.data),
            "region": _text(self.region.data),
            "postal_code": _text(self.postal_code.data),
            "website": _text(self.website.data),
            "programmes": {
                str(enrollment.manufacturer_id): list(field.data or [])
                for enrollment, field in self.programme_fields()
            },
        }


def _text(value: str | None) -> str | None:
    return (value or "").strip() or None


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
        data["working_days"] = [str(day) for day in values["working_days"]]
        data["public_holidays"] = "yes" if values["public_holidays"] else "no"
        for key, codes in values["programmes"].items():
            data[f"programme_{key}"] = codes
        form = BoundProfileForm(formdata=None, data=data)
    else:
        form = BoundProfileForm()
    form._programmes = [enrollment for enrollment, _lines in programmes]
    days = get_day_names("wide", locale=get_locale())
    form.working_days.choices = [SelectChoice(str(n), days[n - 1]) for n in range(1, 8)]
    return form
