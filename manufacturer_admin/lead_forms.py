"""Forms for leads, imports, campaigns and qualification rules. A lead form's values are validated by
``LeadInputSchema`` (the same rules as files and the API); the form only renders and carries CSRF."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

CRITERION_CHOICES = [
    SelectChoice("", _l("Unknown")),
    SelectChoice("yes", _l("Met")),
    SelectChoice("no", _l("Not met")),
]
RATING_CHOICES = [
    SelectChoice(v, label)
    for v, label in (("", _l("No rating")), ("hot", _l("Hot")), ("warm", _l("Warm")), ("cold", _l("Cold")))
]


class LeadForm(FlaskForm):
    company_name = StringField(_l("Company"))
    contact_first_name = StringField(_l("First name"))
    contact_last_name = StringField(_l("Last name"))
    contact_title = StringField(_l("Job title"))
    contact_email = StringField(_l("E-mail"))
    contact_phone = StringField(_l("Phone"), description=_l("An e-mail address or a phone number is needed."))
    street = StringField(_l("Street"))
    postal_code = StringField(_l("Postal code"))
    city = StringField(_l("City"))
    region = StringField(_l("Region / state"))
    country = StringField(_l("Country"), description=_l("ISO code (DE) or name (Germany, Deutschland)."))
    industry = StringField(_l("Industry"))
    employees = StringField(_l("Employees"))
    annual_revenue = StringField(_l("Annual revenue"))
    website = StringField(_l("Website"))
    product_line = SelectField(_l("Product line"), choices=[], default="")
    product_interest = StringField(_l("Product interest"))
    estimated_value = StringField(_l("Estimated deal value"))
    currency = StringField(_l("Currency"))
    campaign_id = SelectField(_l("Campaign"), choices=[], default="")
    source_id = StringField(_l("Source id (CRM record id)"))
    lead_source = StringField(_l("Lead source"))
    description = TextAreaField(_l("Description / notes"))
    need = SelectField(_l("Need"), choices=CRITERION_CHOICES, default="")
    fit = SelectField(_l("Fit"), choices=CRITERION_CHOICES, default="")
    budget = SelectField(_l("Budget"), choices=CRITERION_CHOICES, default="")
    authority = SelectField(_l("Authority"), choices=CRITERION_CHOICES, default="")
    timeframe = SelectField(_l("Timeframe"), choices=CRITERION_CHOICES, default="")
    rating = SelectField(
        _l("Rating"), choices=RATING_CHOICES, default="", description=_l("Used when no criterion is known.")
    )
    submit = SubmitField(_l("Save lead"))


UPLOAD_EXTENSIONS = ("csv", "txt", "tsv", "xlsx")


class ImportUploadForm(FlaskForm):
    file = FileField(
        _l("CSV or Excel file"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(list(UPLOAD_EXTENSIONS), _l("Upload a .csv, .txt, .tsv or .xlsx file.")),
        ],
        description=_l("Exports from Salesforce, HubSpot, Excel (also German) are recognised."),
    )
    campaign_id = SelectField(_l("Campaign for rows without one"), choices=[], default="")
    publish = BooleanField(_l("Publish the created leads when the import is done"))
    submit = SubmitField(_l("Upload and preview"))


ENCODING_CHOICES = [
    SelectChoice("utf-8-sig", "UTF-8"),
    SelectChoice("cp1252", "Windows-1252"),
    SelectChoice("utf-16", "UTF-16"),
    SelectChoice("latin-1", "ISO-8859-1"),
]
DELIMITER_CHOICES = [
    SelectChoice(",", _l("Comma")),
    SelectChoice(";", _l("Semicolon")),
    SelectChoice("\t", _l("Tab")),
    SelectChoice("|", _l("Pipe")),
]
NUMBER_FORMAT_CHOICES = [
    SelectChoice("de", _l("German: 1.234,56")),
    SelectChoice("en", _l("English: 1,234.56")),
]


class ImportSettingsForm(FlaskForm):
    """The read settings of an uploaded file; the column mapping comes as map_<column> fields."""

    encoding = SelectField(_l("Encoding"), choices=ENCODING_CHOICES)
    delimiter = SelectField(_l("Delimiter"), choices=DELIMITER_CHOICES)
    number_format = SelectField(_l("Numbers"), choices=NUMBER_FORMAT_CHOICES)
    campaign_id = SelectField(_l("Campaign for rows without one"), choices=[], default="")
    publish = BooleanField(_l("Publish the created leads when the import is done"))


class CampaignForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    channel = StringField(
        _l("Channel"), validators=[Optional(), Length(max=64)], description=_l("e.g. trade fair, webinar")
    )
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    cost = DecimalField(_l("Cost"), places=2, validators=[Optional(), NumberRange(min=0)])
    currency = StringField(
        _l("Currency"),
        validators=[Optional(), Regexp(r"^[A-Z]{3}$", message=_l("Three capital letters, e.g. EUR."))],
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=10_000)])
    submit = SubmitField(_l("Save campaign"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


CRITERIA_LABELS = [
    SelectChoice("need", _l("Need")),
    SelectChoice("fit", _l("Fit")),
    SelectChoice("budget", _l("Budget")),
    SelectChoice("authority", _l("Authority")),
    SelectChoice("timeframe", _l("Timeframe")),
]


class QualificationRulesForm(FlaskForm):
    hot_min = IntegerField(_l("Criteria met for hot"), validators=[DataRequired(), NumberRange(min=1, max=5)])
    hot_requires = MultiCheckboxField(_l("Hot also requires"), choices=CRITERIA_LABELS)
    warm_min = IntegerField(_l("Criteria met for warm"), validators=[Optional(), NumberRange(min=0, max=5)])
    warm_requires = MultiCheckboxField(_l("Warm also requires"), choices=CRITERIA_LABELS)
    requalify = BooleanField(_l("Re-qualify draft leads now"), default=True)
    submit = SubmitField(_l("Save rules"))


def _either(labels: list[str]) -> str:
    return (
        _("%(some)s or %(last)s", some=", ".join(labels[:-1]), last=labels[-1])
        if len(labels) > 1
        else labels[0]
    )


def import_formats_help() -> str:
    """What the importer reads, from the same lists the reader and the preview's choices use."""
    text_files = ", ".join(f".{ext}" for ext in UPLOAD_EXTENSIONS if ext != "xlsx")
    return _(
        "Reads text files (%(files)s) in %(encodings)s, with values separated by %(delimiters)s (Excel's "
        '"sep=;" first line is understood, quoted values may span lines), and Excel workbooks (.xlsx, the '
        "first sheet; save an old .xls as .xlsx or CSV first). Number notation: %(numbers)s. The first "
        "row names the columns; headers of Salesforce, HubSpot, snake_case and German exports are "
        "recognised. You see a preview and can change how each column is read before anything is imported.",
        files=text_files,
        encodings=_either([str(choice.label) for choice in ENCODING_CHOICES]),
        delimiters=_either([str(choice.label).lower() for choice in DELIMITER_CHOICES]),
        numbers=_either([str(choice.label) for choice in NUMBER_FORMAT_CHOICES]),
    )
