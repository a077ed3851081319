"""Importing partner lists: Salesforce Account exports, HubSpot company exports, German .xlsx, broken
rows with row and column, re-import, ``--map`` and the JSON of ``flask partners import``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from exchange.models import (
    Enrollment,
    EnrollmentStatus,
    Event,
    LeadImport,
    OutboxJob,
    Tier,
)
from exchange.partners.roster_fields import (
    PARTNER_HEADERS,
    PartnerRowSchema,
    details_from_row,
    parse_coverage,
)
from exchange.platform.event_types import AuditEvent
from exchange.platform.extensions import db

SALESFORCE_HEADER = [
    "Id", "Name", "BillingCountry", "BillingState", "BillingPostalCode", "NumberOfEmployees",
    "AnnualRevenue", "Industry", "Website", "Partner_Tier__c", "Partner_Admin_Email__c",
    "Partner_Admin_Name__c", "Coverage_Areas__c", "Product_Lines__c", "Lead_Capacity__c",
]  # fmt: skip


def write_csv(path: Path, rows: list[list[str]], *, delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def salesforce_rows(count: int = 50) -> list[list[str]]:
    tiers = ["Gold", "Silver", "Platinum", "Registered"]
    rows = [SALESFORCE_HEADER]
    for n in range(1, count + 1):
        rows.append([
            f"001A{n:04d}", f"Partner {n} GmbH", "Germany", "Bavaria", "80331", "120", "2500000",
            "Manufacturing", f"partner{n}.example", tiers[n % 4], f"admin{n}@partner{n}.example",
            f"Admin {n}", "DE-BY; DE 80*; AT", "pumps", "12",
        ])  # fmt: skip
    return rows


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["partners", "import", *map(str, args)])


def cli_json(app, *args):
    result = cli(app, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def enrollments(maker) -> list[Enrollment]:
    return db.session.scalars(
        sa.select(Enrollment).where(Enrollment.manufacturer_id == maker.id).order_by(Enrollment.id)
    ).all()


def test_a_salesforce_account_export_of_50_partners_imports_with_invitations(app, maker, tmp_path):
    path = write_csv(tmp_path / "accounts.csv", salesforce_rows(50))
    result = cli_json(app, path, "--manufacturer", "acme")
    assert result["rows"] == 50
    assert (result["created"], result["updated"], result["duplicates"], result["rejected"]) == (50, 0, 0, 0)
    assert result["errors"] == []
    added = enrollments(maker)
    assert len(added) == 50
    first = added[0]
    assert first.external_id == "001A0001"
    assert first.status == EnrollmentStatus.INVITED and first.invited_at is not None
    assert first.invited_email == "admin1@partner1.example" and first.invited_name == "Partner 1 GmbH"
    assert first.tier == Tier.SILVER and [line.code for line in first.product_lines] == ["pumps"]
    profile = first.partner.profile
    assert (profile.country, profile.region, profile.postal_code) == ("DE", "BY", "80331")
    assert profile.capacity == 12 and profile.employees == 120 and profile.industries == ["Manufacturing"]
    assert profile.website == "https://partner1.example"
    assert {(a.country, a.region, a.postal_prefix) for a in profile.coverage} == {
        ("DE", "BY", None), ("DE", None, "80"), ("AT", None, None)
    }  # fmt: skip
    invitations = db.session.scalars(
        sa.select(OutboxJob).where(OutboxJob.task == "accounts.send_password_link")
    ).all()
    assert len(invitations) == 50
    event = db.session.scalar(sa.select(Event).where(Event.type == AuditEvent.PARTNERS_IMPORTED.value))
    assert event.manufacturer_id == maker.id
    assert event.data["created"] == 50 and event.data["rows"] == 50 and event.data["rejected"] == 0


def test_broken_rows_are_reported_with_row_and_column_and_the_good_ones_land(app, maker, tmp_path):
    rows = salesforce_rows(7)
    rows[2][10] = "not-an-email"  # row 3
    rows[3][9] = "Diamond"  # row 4
    rows[4][2] = "Atlantis"  # row 5
    rows[5][13] = "pumps; turbines"  # row 6
    rows[6][1] = ""  # row 7
    rows[7][12] = "DE; Mars 1*"  # row 8
    path = write_csv(tmp_path / "broken.csv", rows)
    result = cli_json(app, path, "--manufacturer", "acme", "--no-invite")
    assert (result["rows"], result["created"], result["rejected"]) == (7, 1, 6)
    by_row = {error["row"]: error for error in result["errors"]}
    assert sorted(by_row) == [3, 4, 5, 6, 7, 8]
    assert by_row[3]["column"] == "Partner_Admin_Email__c"
    assert by_row[4]["column"] == "Partner_Tier__c" and "Diamond" in by_row[4]["message"]
    assert by_row[5]["column"] == "BillingCountry" and "Atlantis" in by_row[5]["message"]
    assert by_row[6]["column"] == "Product_Lines__c" and "turbines" in by_row[6]["message"]
    assert by_row[7]["column"] == "Name"
    assert by_row[8]["column"] == "Coverage_Areas__c" and "Mars 1*" in by_row[8]["message"]
    assert [e.external_id for e in enrollments(maker)] == ["001A0001"]
    assert db.session.scalar(sa.select(sa.func.count(OutboxJob.id)).where(
        OutboxJob.task == "accounts.send_password_link")) == 0  # fmt: skip
    record = db.session.get(LeadImport, result["import_id"])
    assert record.kind == "partners"
    rejected = Path(result["rejected_file"]).read_text(encoding="utf-8-sig").splitlines()
    assert rejected[0].startswith("row,reason,Id,Name")
    assert len(rejected) == 7 and rejected[1].startswith("3,Partner_Admin_Email__c:")


def test_every_unreadable_cell_of_a_row_is_reported_not_only_the_first(app, maker, tmp_path):
    rows = salesforce_rows(1)
    rows[1][2], rows[1][9] = "Narnia", "Diamond"  # country and tier of row 2
    result = cli_json(app, write_csv(tmp_path / "two.csv", rows), "--manufacturer", "acme", "--no-invite")
    assert result["rejected"] == 1
    assert sorted((e["row"], e["column"]) for e in result["errors"]) == [
        (2, "BillingCountry"),
        (2, "Partner_Tier__c"),
    ]


def test_the_rejected_rows_file_is_escaped_against_formulas(app, maker, tmp_path):
    rows = salesforce_rows(1)
    rows[1][1] = '=HYPERLINK("http://evil.example")'
    rows[1][10] = "broken"
    path = write_csv(tmp_path / "evil.csv", rows)
    result = cli_json(app, path, "--manufacturer", "acme")
    assert result["rejected"] == 1
    text = Path(result["rejected_file"]).read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text and '"=HYPERLINK' not in text


def test_reimporting_the_same_file_creates_nothing_twice(app, maker, tmp_path):
    path = write_csv(tmp_path / "accounts.csv", salesforce_rows(5))
    first = cli_json(app, path, "--manufacturer", "acme")
    assert first["created"] == 5
    again = cli_json(app, path, "--manufacturer", "acme")
    assert again["created"] == 0 and again["updated"] + again["duplicates"] == 5 and again["rejected"] == 0
    assert len(enrollments(maker)) == 5


def test_the_same_external_id_twice_in_one_file_is_a_duplicate(app, maker, tmp_path):
    rows = salesforce_rows(2)
    rows.append(list(rows[1]))
    rows[3][1] = "Renamed GmbH"
    path = write_csv(tmp_path / "twice.csv", rows)
    result = cli_json(app, path, "--manufacturer", "acme")
    assert (result["created"], result["duplicates"]) == (2, 1)
    assert len(enrollments(maker)) == 2


def test_an_xlsx_with_german_headers(app, maker, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "Kennung",
            "Firma",
            "Land",
            "Bundesland",
            "PLZ",
            "Mitarbeiter",
            "Jahresumsatz",
            "Branche",
            "Webseite",
            "Partnerstufe",
            "Produktlinien",
            "Gebiet",
            "Kapazität",
            "Admin-E-Mail",
        ]
    )
    sheet.append(
        [
            "K-1",
            "Müller Technik GmbH",
            "Deutschland",
            "Bayern",
            8331,
            45,
            1250000.5,
            "Maschinenbau",
            "mueller.example",
            "Silber",
            "Pumps",
            "DE-BY; 81*",
            8,
            "chef@mueller.example",
        ]
    )
    sheet.append(["K-2", "Wiener Pumpen", "Österreich", "Wien", "1010", "1.200", "2.500.000,00", "", "",
                  "Platin", "", "AT", "", "office@wiener.example"])  # fmt: skip
    path = tmp_path / "partner.xlsx"
    book.save(path)
    result = cli_json(app, path, "--manufacturer", "acme", "--no-invite")
    assert (result["created"], result["rejected"]) == (2, 0), result["errors"]
    first, second = enrollments(maker)
    assert first.tier == Tier.SILVER and second.tier == Tier.PLATINUM
    profile = first.partner.profile
    assert (profile.country, profile.region, profile.postal_code) == ("DE", "BY", "08331")
    assert {(a.country, a.region, a.postal_prefix) for a in profile.coverage} == {
        ("DE", "BY", None),
        ("DE", None, "81"),
    }
    assert second.partner.profile.country == "AT" and second.partner.profile.employees == 1200
    assert first.invited_at is None  # --no-invite


def test_hubspot_company_export_headers(app, maker, tmp_path):
    header = ["Record ID", "Company name", "Country/Region", "State/Region", "Postal Code",
              "Number of Employees", "Annual Revenue", "Industry", "Website URL", "Partner Tier",
              "Admin Email", "Coverage"]  # fmt: skip
    assert PARTNER_HEADERS.detect_mapping(header) == [
        "external_id", "company", "country", "region", "postal_code", "employees", "annual_revenue",
        "industries", "website", "tier", "admin_email", "coverage",
    ]  # fmt: skip
    rows = [header, ["901", "Cole Ltd", "United Kingdom", "", "SW1A 1AA", "30", "", "Utilities",
                     "https://cole.example", "gold", "it@cole.example", "GB"]]  # fmt: skip
    result = cli_json(app, write_csv(tmp_path / "hubspot.csv", rows), "--manufacturer", "acme")
    assert result["created"] == 1, result["errors"]
    (enrollment,) = enrollments(maker)
    assert enrollment.external_id == "901" and enrollment.tier == Tier.GOLD
    assert enrollment.partner.profile.country == "GB"


def test_salesforce_custom_fields_are_read_by_their_words():
    assert PARTNER_HEADERS.detect_mapping(
        ["Id", "Name", "Partner_Tier__c", "Partner_Admin_Email__c", "Coverage_Areas__c",
         "PartnerAdminName__c", "Lead_Capacity__c", "Served_Product_Lines__c", "Favourite_Colour__c"]
    ) == ["external_id", "company", "tier", "admin_email", "coverage", "admin_name", "capacity",
          "product_lines", None]  # fmt: skip


def test_map_assigns_columns_it_cannot_map_by_itself(app, maker, tmp_path):
    rows = [["Ref", "Name", "Boss", "Where"], ["X1", "Odd Corp", "boss@odd.example", "DE 10*"]]
    path = write_csv(tmp_path / "odd.csv", rows)
    refused = cli(app, path, "--manufacturer", "acme")
    assert refused.exit_code == 1 and "Admin e-mail" in refused.output
    result = cli_json(
        app, path, "--manufacturer", "acme", "--map", "Boss=admin_email", "--map", "where=coverage",
        "--map", "Ref=external_id",
    )  # fmt: skip
    assert result["created"] == 1, result["errors"]
    (enrollment,) = enrollments(maker)
    assert enrollment.external_id == "X1" and enrollment.invited_email == "boss@odd.example"
    assert [(a.country, a.postal_prefix) for a in enrollment.partner.profile.coverage] == [("DE", "10")]


@pytest.mark.parametrize(
    ("option", "message"),
    [("Nope=admin_email", "no column 'Nope'"), ("Boss=shoe_size", "unknown field 'shoe_size'"),
     ("Boss", "write COLUMN=FIELD")],
)  # fmt: skip
def test_map_refuses_unknown_columns_and_fields(app, maker, tmp_path, option, message):
    path = write_csv(tmp_path / "odd.csv", [["Name", "Boss"], ["Odd Corp", "boss@odd.example"]])
    result = cli(app, path, "--manufacturer", "acme", "--map", option)
    assert result.exit_code == 1 and message in result.output
    assert enrollments(maker) == []


def test_the_cli_refuses_an_unknown_manufacturer_and_a_missing_file(app, maker, tmp_path):
    missing = cli(app, tmp_path / "missing.csv", "--manufacturer", "acme")
    assert missing.exit_code == 1 and "no such file" in missing.output
    path = write_csv(tmp_path / "a.csv", salesforce_rows(1))
    unknown = cli(app, path, "--manufacturer", "nobody")
    assert unknown.exit_code == 1 and "no manufacturer" in unknown.output


def test_coverage_syntax():
    assert parse_coverage("DE; AT, DE-BY; DE 80*; DE-81*; 9*; Bayern\nDeutschland-Hessen", "DE") == [
        ("DE", None, None), ("AT", None, None), ("DE", "BY", None), ("DE", None, "80"), ("DE", None, "81"),
        ("DE", None, "9"), ("DE", "BY", None), ("DE", "HE", None),
    ]  # fmt: skip


def test_a_row_becomes_partner_details(app, maker):
    schema = PartnerRowSchema(number_format="de")
    details = details_from_row(schema, {
        "company": "  Berg Werke ", "country": "Deutschland", "region": "Bayern", "employees": "1.200",
        "annual_revenue": "1.500.000,50", "tier": "Gold", "product_lines": "pumps, valves", "capacity": "7",
        "coverage": "DE-BY", "admin_email": "a@berg.example", "industries": "", "external_id": "",
    })  # fmt: skip
    assert details.company == "Berg Werke" and details.admin_email == "a@berg.example"
    assert (details.country, details.region) == ("DE", "BY")
    assert details.employees == 1200 and str(details.annual_revenue) == "1500000.50"
    assert details.tier == Tier.GOLD and details.product_lines == ["pumps", "valves"]
    assert details.coverage == [("DE", "BY", None)] and details.capacity == 7
    assert details.industries == [] and details.external_id is None


@pytest.mark.app_config(LEAD_IMPORT_BATCH_SIZE=2)
def test_a_crash_resumes_after_the_last_committed_batch_without_duplicates(app, maker, tmp_path, monkeypatch):
    from exchange.leads import lead_import
    from exchange.partners import roster_import

    path = write_csv(tmp_path / "accounts.csv", salesforce_rows(5))
    record = roster_import.create_import(None, maker, path, file_name="accounts.csv", invite=True, kind="cli")
    roster_import.start_import(record, base_url="http://portal.test", run_in_background=False)
    db.session.commit()
    real_add, calls = roster_import.add_partner, []

    def crash_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("worker died")
        return real_add(*args, **kwargs)

    monkeypatch.setattr(roster_import, "add_partner", crash_once)
    with pytest.raises(RuntimeError):
        lead_import.run_import(record.id, catalogue=roster_import.PARTNERS)
    db.session.expire_all()
    assert (record.status.value, record.rows_done, len(enrollments(maker))) == ("queued", 2, 2)
    summary = roster_import.run_import_job(record.id)
    assert (summary["rows"], summary["created"], summary["duplicates"]) == (5, 5, 0)
    assert len(enrollments(maker)) == 5
    assert db.session.scalar(
        sa.select(sa.func.count(OutboxJob.id)).where(OutboxJob.task == "accounts.send_password_link")
    ) == 5  # fmt: skip
