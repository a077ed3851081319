"""Which lead field a column fills, from the header conventions users bring: Salesforce Lead API
names, HubSpot export labels, plain snake_case and German labels."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class ImportField:
    name: str  # the key in LeadInputSchema
    label: object  # shown in the mapping preview (lazy, translated)
    headers: tuple[str, ...]  # known header spellings (compared normalised)


# Order = order in the mapping drop-down.
IMPORT_FIELDS: tuple[ImportField, ...] = (
    ImportField("source_id", _l("Source id (CRM record id)"),
                ("Id", "Record ID", "Lead ID", "LeadId", "Contact ID", "source_id", "crm_id", "external_id",
                 "Datensatz-ID", "Lead-ID", "Kennung")),
    ImportField("company_name", _l("Company"),
                ("Company", "Company Name", "Account Name", "Organization", "Organisation", "company",
                 "company_name", "Firma", "Firmenname", "Unternehmen")),
    ImportField("contact_first_name", _l("First name"),
                ("FirstName", "First Name", "Given Name", "first_name", "Vorname")),
    ImportField("contact_last_name", _l("Last name"),
                ("LastName", "Last Name", "Surname", "Family Name", "last_name", "Nachname", "Familienname")),
    ImportField("contact_title", _l("Job title"),
                ("Title", "Job Title", "Position", "title", "job_title", "contact_title", "Jobtitel",
                 "Funktion", "Berufsbezeichnung")),
    ImportField("contact_email", _l("E-mail"),
                ("Email", "Email Address", "E-mail", "contact_email", "email_address", "E-Mail",
                 "E-Mail-Adresse", "Mail")),
    ImportField("contact_phone", _l("Phone"),
                ("Phone", "Phone Number", "Telephone", "Business Phone", "contact_phone", "phone_number",
                 "Telefon", "Telefonnummer", "Tel")),
    ImportField("street", _l("Street"),
                ("Street", "Street Address", "Address", "Address Line 1", "street", "street_address",
                 "Straße", "Strasse", "Adresse", "Anschrift")),
    ImportField("postal_code", _l("Postal code"),
                ("PostalCode", "Postal Code", "Zip", "Zip Code", "ZIP/Postal Code", "Postcode", "postal_code",
                 "zip_code", "PLZ", "Postleitzahl")),
    ImportField("city", _l("City"), ("City", "Town", "city", "Ort", "Stadt", "Wohnort")),
    ImportField("region", _l("Region / state"),
                ("State", "State/Region", "State/Province", "Province", "Region", "state", "region",
                 "Bundesland", "Kanton")),
    ImportField("country", _l("Country"), ("Country", "Country/Region", "country", "country_code", "Land")),
    ImportField("industry", _l("Industry"), ("Industry", "industry", "Branche", "Industrie")),
    ImportField("employees", _l("Employees"),
                ("NumberOfEmployees", "Number of Employees", "Employees", "Employee Count", "employees",
                 "number_of_employees", "Mitarbeiter", "Mitarbeiterzahl", "Anzahl Mitarbeiter",
                 "Beschäftigte")),
    ImportField("annual_revenue", _l("Annual revenue"),
                ("AnnualRevenue", "Annual Revenue", "Revenue", "annual_revenue", "Jahresumsatz", "Umsatz")),
    ImportField("website", _l("Website"),
                ("Website", "Website URL", "Web", "URL", "website", "Webseite", "Homepage", "Internetseite")),
    ImportField("lead_source", _l("Lead source"),
                ("LeadSource", "Lead Source", "Original Source", "Source", "lead_source", "Quelle",
                 "Leadquelle", "Lead-Quelle")),
    ImportField("product_interest", _l("Product interest"),
                ("Product", "Product Interest", "ProductInterest", "Product Line", "product_interest",
                 "product_line", "Produkt", "Produktinteresse", "Produktlinie")),
    ImportField("estimated_value", _l("Estimated deal value"),
                ("Estimated Value", "Deal Value", "Amount", "Expected Revenue", "Opportunity Amount",
                 "estimated_value", "deal_value", "Auftragswert", "Geschätzter Wert", "Volumen",
                 "Projektvolumen")),
    ImportField("currency", _l("Currency"),
                ("Currency", "CurrencyIsoCode", "Currency Code", "currency", "Währung")),
    ImportField("campaign", _l("Campaign (name)"),
                ("Campaign", "Campaign Name", "Primary Campaign", "campaign", "campaign_name", "Kampagne")),
    ImportField("description", _l("Description / notes"),
                ("Description", "Notes", "Comments", "Message", "description", "notes", "Beschreibung",
                 "Notizen", "Notiz", "Bemerkung", "Kommentar", "Nachricht")),
    ImportField("need", _l("Criterion: need"), ("Need", "need", "Bedarf")),
    ImportField("fit", _l("Criterion: fit"), ("Fit", "fit", "Passung", "Passt")),
    ImportField("budget", _l("Criterion: budget"), ("Budget", "budget", "Budget vorhanden")),
    ImportField("authority", _l("Criterion: authority"),
                ("Authority", "Decision Maker", "authority", "Entscheider", "Entscheidungsbefugnis",
                 "Entscheidungsträger")),
    ImportField("timeframe", _l("Criterion: timeframe"),
                ("Timeframe", "Timeline", "time_frame", "timeframe", "Zeitrahmen", "Zeitplan")),
    ImportField("rating", _l("Rating (hot / warm / cold)"),
                ("Rating", "Lead Rating", "Temperature", "rating", "lead_rating", "temperature", "Bewertung",
                 "Temperatur", "Einstufung")),
    # Recognised CRM states: not lead fields, kept in the import event so nothing is silently lost.
    ImportField("crm_status", _l("CRM status (kept in the history)"),
                ("Status", "Lead Status", "lead_status", "crm_status", "Lead-Status")),
    ImportField("lifecycle_stage", _l("Lifecycle stage (kept in the history)"),
                ("Lifecycle Stage", "lifecycle_stage", "Lebenszyklusphase")),
)  # fmt: skip

FIELDS_BY_NAME = {f.name: f for f in IMPORT_FIELDS}
CRITERIA = ("need", "fit", "budget", "authority", "timeframe")
NUMERIC_FIELDS = ("employees", "annual_revenue", "estimated_value")


def normalise_header(header: str) -> str:
    """'E-Mail-Adresse' -> 'emailadresse', 'Country/Region' -> 'countryregion', 'Rating__c' -> 'rating'."""
    text = header.strip().lstrip("\ufeff")
    text = re.sub(r"__c$", "", text)  # Salesforce custom fields
    text = unicodedata.normalize("NFKC", text).casefold()  # casefold: 'Straße' -> 'strasse'
    return re.sub(r"[^0-9a-zäöü]+", "", text)


class HeaderCatalogue:
    """The fields of one kind of list and the headers that name them. A header is looked up by its
    normalised spelling; failing that, ``words`` rules read it by its words (``Partner_Tier__c`` ->
    partner, tier): the first rule all of whose words the header has names the field."""

    def __init__(
        self,
        fields: tuple[ImportField, ...],
        numeric: tuple[str, ...] = (),
        words: tuple[tuple[str, frozenset[str]], ...] = (),
    ) -> None:
        self.fields = fields
        self.numeric = numeric
        self.words = words
        self.by_name = {f.name: f for f in fields}
        self._by_header = {normalise_header(h): f.name for f in fields for h in f.headers}

    def field_for_header(self, header: str) -> str | None:
        found = self._by_header.get(normalise_header(header))
        if found is None and self.words:
            said = header_words(header)
            found = next((name for name, needed in self.words if needed <= said), None)
        return found

    def detect_mapping(self, headers: list[str]) -> list[str | None]:
        """The field for each column; a field claimed by an earlier column is not mapped again."""
        mapping: list[str | None] = []
        taken: set[str] = set()
        for header in headers:
            field = self.field_for_header(header)
            if field is not None and field in taken:
                field = None
            if field is not None:
                taken.add(field)
            mapping.append(field)
        return mapping


def header_words(header: str) -> frozenset[str]:
    """'Partner_Admin_Email__c' / 'PartnerAdminEmail' -> {'partner', 'admin', 'email'}."""
    text = re.sub(r"__c$", "", header.strip())
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    text = unicodedata.normalize("NFKC", text).casefold().replace("e-mail", "email")
    return frozenset(re.findall(r"[0-9a-zäöüß]+", text))


LEAD_HEADERS = HeaderCatalogue(IMPORT_FIELDS, NUMERIC_FIELDS)


def field_for_header(header: str) -> str | None:
    return LEAD_HEADERS.field_for_header(header)


def detect_mapping(headers: list[str]) -> list[str | None]:
    """The lead field for each column; a field claimed by an earlier column is not mapped again."""
    return LEAD_HEADERS.detect_mapping(headers)
