"""The columns of a partner list (CSV or .xlsx): the field catalogue the import maps headers to, and
:class:`PartnerRowSchema`, which reads one row's cells into a
:class:`~exchange.partners.partner_details.PartnerDetails`.

Headers recognised: Salesforce Account export API names (``Name``, ``BillingCountry``, ``Id``, ...),
HubSpot company export labels (``Company name``, ``Country/Region``, ``Record ID``, ...), German
labels (``Firma``, ``Land``, ``PLZ``, ``Partnerstufe``, ...) and Salesforce custom fields by their
words (``Partner_Tier__c`` -> tier, ``Partner_Admin_Email__c`` -> admin e-mail).

The row schema only turns what people type into values (country names to ISO codes, numbers written
the German or English way, tier words, lists, the coverage syntax below); what a partner may be is
checked once, by :func:`exchange.partners.partner_details.clean_details` (``add_partner``).

Coverage syntax (:func:`parse_coverage`), areas separated by ``;`` (or ``,`` or a line break):
``DE`` or ``Germany`` the whole country; ``DE-BY`` or ``DE-Bayern`` a region of it; ``DE 80*`` postal
codes starting 80. ``80*`` (and a region name such as ``Bayern``) is read in the row's own country.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exchange.leads.intake import values
from exchange.leads.intake.headers import HeaderCatalogue, ImportField
from exchange.leads.intake.schema import Country, Number, Text
from exchange.models import Tier
from exchange.partners.partner_details import PartnerDetails
from exchange.partners.profile_fields import MAX_CAPACITY, MAX_EMPLOYEES

# Field names are PartnerDetails attributes, so a refusal's field names its column.
PARTNER_FIELDS: tuple[ImportField, ...] = (
    ImportField("external_id", _l("External id (CRM record id)"),
                ("Id", "Record ID", "Account ID", "AccountId", "Company ID", "Partner ID", "external_id",
                 "crm_id", "Datensatz-ID", "Partner-ID", "Kennung")),
    ImportField("company", _l("Company"),
                ("Name", "Account Name", "Company name", "Company", "Organization", "Organisation",
                 "Partner", "Partner Name", "company", "Firma", "Firmenname", "Unternehmen", "Partnername")),
    ImportField("country", _l("Country"),
                ("BillingCountry", "Billing Country", "Country/Region", "Country", "country", "Land")),
    ImportField("region", _l("Region / state"),
                ("BillingState", "Billing State/Province", "State/Region", "State", "State/Province",
                 "Region", "Province", "region", "Bundesland", "Kanton")),
    ImportField("postal_code", _l("Postal code"),
                ("BillingPostalCode", "Billing Zip/Postal Code", "Postal Code", "PostalCode", "Zip",
                 "Zip Code", "postal_code", "PLZ", "Postleitzahl")),
    ImportField("website", _l("Website"),
                ("Website", "Website URL", "Company Domain Name", "Domain", "URL", "website", "Webseite",
                 "Homepage", "Internetseite")),
    ImportField("employees", _l("Employees"),
                ("NumberOfEmployees", "Number of Employees", "Employees", "employees", "Mitarbeiter",
                 "Mitarbeiterzahl", "Anzahl Mitarbeiter", "Beschäftigte")),
    ImportField("annual_revenue", _l("Annual revenue"),
                ("AnnualRevenue", "Annual Revenue", "Revenue", "annual_revenue", "Jahresumsatz", "Umsatz")),
    ImportField("industries", _l("Industry"), ("Industry", "industry", "Branche", "Industrie")),
    ImportField("tier", _l("Tier"),
                ("Tier", "Partner Tier", "Partner Level", "tier", "Partnerstufe", "Stufe", "Partnerlevel")),
    ImportField("product_lines", _l("Product lines"),
                ("Product Lines", "Product Line", "Products", "product_lines", "Produktlinien",
                 "Produktlinie", "Produkte")),
    ImportField("coverage", _l("Coverage (countries, regions, postal prefixes)"),
                ("Coverage", "Coverage Areas", "Territory", "Territories", "Sales Territory", "coverage",
                 "Gebiet", "Gebiete", "Vertriebsgebiet", "Abdeckung")),
    ImportField("capacity", _l("Capacity (leads at once)"),
                ("Capacity", "Lead Capacity", "capacity", "Kapazität", "Kapazitaet")),
    ImportField("admin_email", _l("Admin e-mail"),
                ("Admin Email", "Admin E-mail", "Partner Admin Email", "Primary Contact Email", "Email",
                 "E-mail", "admin_email", "Admin-E-Mail", "E-Mail", "E-Mail-Adresse")),
    ImportField("admin_name", _l("Admin name"),
                ("Admin Name", "Partner Admin Name", "Primary Contact", "Contact Name", "admin_name",
                 "Admin-Name", "Ansprechpartner", "Kontakt")),
)  # fmt: skip

# Salesforce custom fields (and other headers not listed) by their words, first rule first.
WORD_RULES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (name, frozenset(words.split()))
    for name, words in (
        ("admin_email", "admin email"),
        ("admin_email", "admin mail"),
        ("admin_email", "contact email"),
        ("admin_name", "admin name"),
        ("tier", "tier"),
        ("tier", "stufe"),
        ("product_lines", "product"),
        ("product_lines", "produktlinien"),
        ("coverage", "coverage"),
        ("coverage", "territory"),
        ("coverage", "territories"),
        ("coverage", "gebiet"),
        ("capacity", "capacity"),
        ("capacity", "kapazität"),
        ("external_id", "external id"),
        ("admin_email", "email"),
    )
)

PARTNER_HEADERS = HeaderCatalogue(PARTNER_FIELDS, ("employees", "annual_revenue", "capacity"), WORD_RULES)

TIER_WORDS = {
    "platinum": Tier.PLATINUM, "platin": Tier.PLATINUM,
    "gold": Tier.GOLD,
    "silver": Tier.SILVER, "silber": Tier.SILVER,
    "registered": Tier.REGISTERED, "registriert": Tier.REGISTERED,
}  # fmt: skip

_LIST_SEPARATORS = re.compile(r"[;,|\n]+")


def split_list(text: str) -> list[str]:
    return [part.strip() for part in _LIST_SEPARATORS.split(text) if part.strip()]


def parse_coverage(text: str, row_country: str | None) -> list[tuple[str, str | None, str | None]]:
    """Areas as (country, region, postal prefix) from the coverage syntax (see the module)."""
    areas = []
    for entry in split_list(text):
        area = _area(entry, row_country)
        if area is None:
            raise ma.ValidationError(
                _("Unknown area '%(value)s' (write DE, DE-BY or DE 80*, separated by ;).", value=entry[:40])
            )
        areas.append(area)
    return areas


def _area(entry: str, row_country: str | None) -> tuple[str, str | None, str | None] | None:
    if entry.endswith("*"):
        head, _sep, prefix = entry[:-1].strip().rpartition(" ")
        if not head and "-" in prefix:
            head, _sep, prefix = prefix.rpartition("-")
        country = values.country_code(head) if head.strip() else row_country
        prefix = prefix.strip().upper()
        return (country, None, prefix) if country and prefix else None
    country = values.country_code(entry)
    if country:
        return country, None, None
    head, sep, region = entry.partition("-")
    country = values.country_code(head) if sep else None
    if country and region.strip():
        return country, values.region_code(region.strip(), country).upper(), None
    if row_country:
        region = values.region_code(entry, row_country)
        if region != entry.strip():  # a region name of the row's country
            return row_country, region, None
    return None


class TierWord(Text):
    """A tier in English or German (``Platin``, ``Silber``); refused here, beside the row's other
    cells, rather than one at a time when the partner is added."""

    def __init__(self) -> None:
        super().__init__(200)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Tier | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is None:
            return None
        tier = TIER_WORDS.get(text.casefold())
        if tier is None:
            raise ma.ValidationError(
                _(
                    "Unknown tier '%(value)s' (one of: %(known)s).",
                    value=text[:40],
                    known=", ".join(t.value for t in Tier),
                )
            )
        return tier


class PartnerRowSchema(ma.Schema):
    """One row of a partner list, its cells as text (CSV) or typed values (.xlsx)."""

    class Meta:
        unknown = ma.RAISE

    external_id = Text(1000)
    company = Text(1000)
    country = Country()
    region = Text(200)
    postal_code = Text(200)
    website = Text(1000)
    employees = Number(whole=True, maximum=Decimal(MAX_EMPLOYEES))
    annual_revenue = Number()
    industries = Text(1000)
    tier = TierWord()
    product_lines = Text(10_000)
    coverage = Text(100_000)
    capacity = Number(whole=True, maximum=Decimal(MAX_CAPACITY))
    admin_email = Text(1000)
    admin_name = Text(1000)

    def __init__(self, *args: Any, number_format: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.number_format = number_format

    @ma.post_load
    def _values(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        country = data.get("country")
        values.place_codes(data, country)
        if data.get("website") and not data["website"].startswith(("http://", "https://")):
            data["website"] = f"https://{data['website']}"
        data["industries"] = [data["industries"]] if data.get("industries") else []
        if data.get("product_lines") is not None:
            data["product_lines"] = split_list(data["product_lines"])
        if data.get("coverage") is not None:
            try:
                data["coverage"] = parse_coverage(data["coverage"], country)
            except ma.ValidationError as error:
                raise ma.ValidationError(error.messages, field_name="coverage") from None
        return data


def details_from_row(schema: PartnerRowSchema, raw: dict[str, Any]) -> PartnerDetails:
    """The details a row gives; ``ma.ValidationError`` (messages by field) for cells that cannot be read.
    Empty cells are not given (an update leaves those values as they are)."""
    given = {name: value for name, value in raw.items() if value is not None and value != ""}
    data = schema.load(given)
    return PartnerDetails(
        company=data.get("company") or "",
        admin_email=data.get("admin_email") or "",
        **{name: value for name, value in data.items() if name not in ("company", "admin_email")},
    )
