"""Bulk import from the files users bring: Salesforce, HubSpot, German Excel, snake_case .xlsx.
Each file has dirty rows; every count and message is checked, and nothing is dropped silently."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from exchange.leads import import_upload, lead_import, lead_writer
from exchange.models import Campaign, Event, ImportStatus, Lead, LeadImport, OutboxJob
from exchange.models.enums import LeadStatus, Temperature
from exchange.platform import unit_of_work
from exchange.platform.extensions import db
from tests import factories as f


def write_csv(
    path: Path, rows: list[list[str]], *, delimiter=",", encoding="utf-8", bom=False, sep_line=False
):
    buffer = io.StringIO()
    if sep_line:
        buffer.write(f"sep={delimiter}\r\n")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


def run_cli(app, *args):
    result = app.test_cli_runner().invoke(args=["leads", "import", *map(str, args)])
    return result


def cli_json(app, *args):
    result = run_cli(app, *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def leads_by_source(maker_id):
    return {
        lead.source_id: lead
        for lead in db.session.scalars(sa.select(Lead).where(Lead.manufacturer_id == maker_id)).all()
    }


SALESFORCE_HEADER = [
    "Id", "FirstName", "LastName", "Company", "Email", "Phone", "Title", "Street", "City", "State",
    "PostalCode", "Country", "Industry", "AnnualRevenue", "NumberOfEmployees", "LeadSource", "Rating",
    "Status", "Description",
]  # fmt: skip


def salesforce_rows():
    return [
        SALESFORCE_HEADER,
        ["00Q1", "Anna", "Berg", "Berg Werke GmbH", "anna@berg.example", "+49 89 1", "CTO", "Hauptstr. 1",
         "München", "Bavaria", "80331", "Germany", "Manufacturing", "1,500,000", "250", "Web", "Hot",
         "Open - Not Contacted", "Needs pumps\nfor two plants, \"urgent\""],
        ["00Q2", "Ben", "Cole", "Cole Ltd", "ben@cole", "", "", "", "London", "England", "", "United Kingdom",
         "", "", "", "", "Warm", "", ""],
        ["00Q3", "Cara", "Dunn", "", "cara@dunn.example", "", "", "", "", "", "", "USA", "", "", "", "",
         "Cold", "", ""],
        ["00Q4", "Dan", "Eck", "Eck Inc", "dan@eck.example", "", "", "", "Austin", "Texas", "73301",
         "United States", "", "", "about 40", "", "Cold", "", ""],
        ["00Q5", "Eva", "Fox", "Fox SA", "eva@fox.example", "", "", "", "", "", "", "Atlantis", "", "", "",
         "", "Warm", "", ""],
        ["00Q1", "Anna", "Berg", "Berg Werke GmbH", "anna@berg.example", "", "", "", "", "", "", "Germany",
         "", "", "", "", "Hot", "", ""],
        ["00Q6", "Finn", "Gray", "Gray AG", "finn@gray.example", "", "", "", "", "", "", "Schweiz", "", "",
         "", "", "lukewarm", "", ""],
        ["00Q7", "Gus", "Hill", "Hill GmbH", "", "+43 1 234", "", "", "Wien", "Wien", "1010", "Austria", "",
         "", "12", "", "", "Working - Contacted", ""],
        ["00Q8", "Hanna", "Iver", "Iver Oy", "", "+358 9 1", "", "", "", "", "", "Finland", "", "", "9", "",
         "", "", ""],
    ]  # fmt: skip


def test_salesforce_export_with_dirty_rows(app, maker, tmp_path):
    path = write_csv(tmp_path / "salesforce.csv", salesforce_rows(), bom=True)
    result = cli_json(app, path, "--manufacturer", "acme")
    assert {k: result[k] for k in ("rows", "created", "updated", "duplicates", "rejected")} == {
        "rows": 9, "created": 3, "updated": 0, "duplicates": 1, "rejected": 5,
    }  # fmt: skip
    assert result["rows"] == result["created"] + result["updated"] + result["duplicates"] + result["rejected"]
    assert result["errors"] == [
        {"row": 3, "column": "Email", "message": "Not a valid e-mail address: ben@cole"},
        {"row": 4, "column": "Company", "message": "Missing: every lead needs this."},
        {"row": 5, "column": "NumberOfEmployees", "message": "Not a whole number: about 40"},
        {"row": 6, "column": "Country",
         "message": "Unknown country: Atlantis (use an ISO code such as DE or a name)"},
        {"row": 8, "column": "Rating", "message": "Unknown rating: lukewarm (use hot, warm or cold)"},
    ]  # fmt: skip
    leads = leads_by_source(maker.id)
    assert set(leads) == {"00Q1", "00Q7", "00Q8"}
    anna = leads["00Q1"]
    assert (anna.country, anna.region, anna.employees, anna.annual_revenue) == (
        "DE",
        "BY",
        250,
        Decimal("1500000"),
    )
    assert anna.description == 'Needs pumps\nfor two plants, "urgent"'
    assert (anna.temperature, anna.imported_rating) == (Temperature.HOT, "hot")
    assert anna.temperature_reason == "No criterion recorded; imported rating: hot"
    gus = leads["00Q7"]  # phone only
    assert (gus.country, gus.region, gus.postal_code, gus.contact_email) == ("AT", "W", "1010", None)
    assert leads["00Q8"].temperature == Temperature.COLD
    events = db.session.scalars(sa.select(Event).where(Event.lead_id == anna.id)).all()
    assert [(e.type, e.actor_kind, e.data["row"], e.data["crm_status"]) for e in events] == [
        ("lead.imported", "cli", 2, "Open - Not Contacted")
    ]


def test_a_row_wider_than_the_header_is_rejected(app, maker, tmp_path):
    rows = [["Company", "Email"], ["A GmbH", "a@a.example"], ["B GmbH", "b@b.example", "stray, value"]]
    result = cli_json(app, write_csv(tmp_path / "wide.csv", rows), "--manufacturer", "acme")
    assert (result["created"], result["rejected"]) == (1, 1)
    assert result["errors"] == [
        {"row": 3, "column": "", "message": "The row has 3 cells but the header names 2 columns"}
    ]


def test_hubspot_export(app, maker, tmp_path):
    rows = [
        ["Record ID", "First Name", "Last Name", "Company Name", "Email", "Phone Number", "Country/Region",
         "State/Region", "Postal Code", "Number of Employees", "Annual Revenue", "Lead Status",
         "Lifecycle Stage", "Create Date"],
        ["501", "Ida", "Jung", "Jung KG", "IDA@Jung.example ", "", "Germany", "North Rhine-Westphalia",
         "50667",
         "1,200", "25,000,000.00", "New", "marketingqualifiedlead", "2026-01-02 10:00"],
        ["502", "Jon", "Kim", "Kim Corp", "jon@kim.example", "", "United States", "California", "94105", "75",
         "", "Open", "lead", "2026-01-03 10:00"],
        ["503", "", "", "Lee Ltd", "", "", "UK", "", "", "", "", "", "", ""],
        ["504", "Ida", "Jung", "jung  kg", "ida@jung.example", "", "Germany", "", "", "", "", "", "", ""],
    ]  # fmt: skip
    result = cli_json(app, write_csv(tmp_path / "hubspot.csv", rows), "--manufacturer", "acme")
    assert (result["rows"], result["created"], result["duplicates"], result["rejected"]) == (4, 2, 1, 1)
    assert result["errors"] == [
        {"row": 4, "column": "Email", "message": "A lead needs an e-mail address or a phone number."}
    ]
    leads = leads_by_source(maker.id)
    ida = leads["501"]
    assert (ida.region, ida.employees, ida.annual_revenue) == ("NW", 1200, Decimal("25000000.00"))
    assert ida.dedupe_key == "ida@jung.example|jung kg"
    assert leads["502"].region == "CA"
    event = db.session.scalar(sa.select(Event).where(Event.lead_id == ida.id))
    assert (event.data["crm_status"], event.data["lifecycle_stage"]) == ("New", "marketingqualifiedlead")


def test_german_excel_csv(app, maker, tmp_path):
    rows = [
        ["Vorname", "Nachname", "Firma", "E-Mail", "Telefon", "Straße", "PLZ", "Ort", "Land", "Branche",
         "Mitarbeiter", "Jahresumsatz", "Bewertung"],
        ["Jörg", "Müller", "Müller Maschinenbau GmbH", "joerg@mueller.example", "089 123", "Königsallee 5",
         "1067", "Dresden", "Deutschland", "Maschinenbau", "1.200", "1.234.567,89", "heiß"],
        ["Lena", "Groß", "Groß & Söhne", "lena@gross.example", "", "", "8010", "Graz", "Österreich", "",
         "45", "750.000,50", "kalt"],
        ["Uwe", "Öz", "Öz Bau", "uwe@oez", "", "", "", "", "Deutschland", "", "viele", "", "warm"],
    ]  # fmt: skip
    path = write_csv(tmp_path / "leads_de.csv", rows, delimiter=";", encoding="cp1252", sep_line=True)
    result = cli_json(app, path, "--manufacturer", "acme", "--campaign", "Hannover Messe")
    assert (result["rows"], result["created"], result["rejected"]) == (3, 2, 1)
    assert result["errors"] == [
        {"row": 4, "column": "E-Mail", "message": "Not a valid e-mail address: uwe@oez"},
        {"row": 4, "column": "Mitarbeiter", "message": "Not a whole number: viele"},
    ]
    record = db.session.get(LeadImport, result["import_id"])
    assert record.settings["encoding"] == "cp1252"
    assert (record.settings["delimiter"], record.settings["number_format"]) == (";", "de")
    leads = {lead.company_name: lead for lead in db.session.scalars(sa.select(Lead))}
    joerg = leads["Müller Maschinenbau GmbH"]
    assert (joerg.street, joerg.postal_code, joerg.country) == ("Königsallee 5", "01067", "DE")
    assert (joerg.employees, joerg.annual_revenue, joerg.temperature) == (
        1200,
        Decimal("1234567.89"),
        Temperature.HOT,
    )
    lena = leads["Groß & Söhne"]
    assert (lena.country, lena.annual_revenue, lena.temperature) == (
        "AT",
        Decimal("750000.50"),
        Temperature.COLD,
    )
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Hannover Messe"))
    assert joerg.campaign_id == lena.campaign_id == campaign.id


def test_snake_case_xlsx_with_criteria(app, maker, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        [
            "source_id",
            "company_name",
            "contact_email",
            "country",
            "postal_code",
            "employees",
            "estimated_value",
            "need",
            "fit",
            "budget",
            "authority",
            "timeframe",
            "campaign",
            "product_line",
        ]
    )
    sheet.append(
        [
            "X-1",
            "Hot Co",
            "a@hot.example",
            "DE",
            1067,
            300,
            45000.5,
            "yes",
            "yes",
            "yes",
            "yes",
            "yes",
            "Webinar",
            "Pumps",
        ]
    )
    sheet.append(
        [
            "X-2",
            "Warm Co",
            "b@warm.example",
            "de",
            "80331",
            "20",
            "12.000",
            "ja",
            "ja",
            "nein",
            "ja",
            "",
            "",
            "",
        ]
    )
    sheet.append(
        ["X-3", "Cold Co", "c@cold.example", "FR", None, None, None, "no", "", "", "", "", "Webinar", ""]
    )
    sheet.append([None] * 14)  # a blank row Excel leaves behind is not a lead
    sheet.append(["X-4", "Bad Co", "d@bad.example", "DE", None, None, None, "maybe", "", "", "", "", "", ""])
    workbook.save(tmp_path / "leads.xlsx")
    result = cli_json(app, tmp_path / "leads.xlsx", "--manufacturer", "acme")
    assert (result["rows"], result["created"], result["rejected"]) == (4, 3, 1)
    assert result["errors"] == [
        {"row": 6, "column": "need", "message": "Not yes or no: maybe (use yes/no, true/false, 1/0, ja/nein)"}
    ]
    leads = leads_by_source(maker.id)
    hot, warm, cold = leads["X-1"], leads["X-2"], leads["X-3"]
    assert (hot.temperature, hot.postal_code, hot.estimated_value) == (
        Temperature.HOT,
        "01067",
        Decimal("45000.50"),
    )
    assert hot.product_line is not None and hot.product_line.code == "pumps"
    assert warm.temperature == Temperature.WARM
    # No German evidence in this file, so the ambiguous '12.000' reads the English way.
    assert warm.estimated_value == Decimal("12.00")
    assert (
        warm.temperature_reason
        == "3 of 5 criteria met (need, fit, authority); unknown: timeframe; warm needs 3"
    )
    assert cold.temperature == Temperature.COLD
    assert hot.campaign_id == cold.campaign_id is not None


def test_reimport_creates_nothing_and_updates_changed_drafts(app, maker, tmp_path):
    path = write_csv(tmp_path / "salesforce.csv", salesforce_rows())
    first = cli_json(app, path, "--manufacturer", "acme")
    assert first["created"] == 3
    again = cli_json(app, path, "--manufacturer", "acme")
    assert (again["created"], again["updated"], again["duplicates"], again["rejected"]) == (0, 0, 4, 5)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 3

    rows = salesforce_rows()
    rows[1][8] = "Augsburg"  # Anna moved: her draft is updated
    rows[9][14] = "11"  # Hanna's head count changed, but her lead is published: left alone
    hanna = leads_by_source(maker.id)["00Q8"]
    hanna.status = LeadStatus.PUBLISHED
    db.session.commit()
    changed = cli_json(app, write_csv(tmp_path / "changed.csv", rows), "--manufacturer", "acme")
    assert (changed["created"], changed["updated"], changed["duplicates"], changed["rejected"]) == (
        0,
        1,
        3,
        5,
    )
    db.session.expire_all()
    leads = leads_by_source(maker.id)
    assert leads["00Q1"].city == "Augsburg"
    assert leads["00Q8"].employees == 9
    update = db.session.scalars(
        sa.select(Event).where(Event.lead_id == leads["00Q1"].id, Event.type == "lead.updated")
    ).one()
    assert update.data["fields"] == ["city"]


def test_same_person_without_source_id_is_a_duplicate(app, maker, tmp_path):
    f.lead(maker, contact_email="Known@Lead.example", company_name="Known  GmbH", source_id=None)
    db.session.commit()
    rows = [["Company", "Email"], ["known gmbh", " known@lead.example"], ["Known GmbH", "other@lead.example"]]
    result = cli_json(app, write_csv(tmp_path / "plain.csv", rows), "--manufacturer", "acme")
    assert (result["created"], result["duplicates"]) == (1, 1)


def test_publish_option_publishes_the_created_leads(app, maker, tmp_path):
    rows = [["Company", "Email"], ["A GmbH", "a@a.example"], ["B GmbH", "b@b.example"]]
    result = cli_json(app, write_csv(tmp_path / "p.csv", rows), "--manufacturer", "acme", "--publish")
    assert result["created"] == 2
    leads = db.session.scalars(sa.select(Lead).order_by(Lead.id)).all()
    assert {lead.status for lead in leads} == {LeadStatus.PUBLISHED}
    assert all(lead.sla_terms["temperature"] == "cold" for lead in leads)
    job = db.session.scalar(sa.select(OutboxJob).where(OutboxJob.task == "leads.match"))
    assert job.args == [[lead.id for lead in leads]]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
            "old.xls",
            "Old Excel files (.xls) cannot be read",
        ),
        (b"just one line of text\n", "notes.txt", "The first row must name the columns"),
        (b"PK\x03\x04broken", "broken.xlsx", "damaged"),
    ],
)
def test_unreadable_files_exit_non_zero_with_a_message(app, maker, tmp_path, content, name, message):
    (tmp_path / name).write_bytes(content)
    result = run_cli(app, tmp_path / name, "--manufacturer", "acme")
    assert result.exit_code == 1
    assert message in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0


def test_a_file_without_a_company_column_is_refused(app, maker, tmp_path):
    path = write_csv(tmp_path / "x.csv", [["Name", "Email"], ["A", "a@a.example"]])
    result = run_cli(app, path, "--manufacturer", "acme")
    assert result.exit_code == 1
    assert "Map a column to Company" in result.output
    result = run_cli(app, path, "--manufacturer", "nobody")
    assert result.exit_code == 1 and "no manufacturer" in result.output


@pytest.mark.app_config(LEAD_IMPORT_BATCH_SIZE=3)
def test_a_failed_batch_resumes_without_counting_twice(app, maker, tmp_path, monkeypatch):
    rows = [["Id", "Company", "Email"]] + [
        [f"R{n}", f"Co {n}", "bad" if n % 4 == 0 else f"x{n}@co.example"] for n in range(1, 11)
    ]
    record = import_upload.create_import(
        None, maker, write_csv(tmp_path / "r.csv", rows), file_name="r.csv", kind="cli"
    )
    lead_import.start_import(record, run_in_background=False)
    db.session.commit()
    original = lead_writer.LeadWriter.write
    calls = {"n": 0}

    def fail_on_third_batch(self, records):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("database went away")
        return original(self, records)

    monkeypatch.setattr(lead_writer.LeadWriter, "write", fail_on_third_batch)
    with pytest.raises(RuntimeError):
        lead_import.run_import(record.id)
    db.session.expire_all()
    record = db.session.get(LeadImport, record.id)
    assert (record.status, record.rows_done, record.attempts) == (ImportStatus.QUEUED, 6, 1)
    summary = lead_import.run_import(record.id)
    assert summary == {
        "import_id": record.id, "status": "done", "rows": 10, "created": 8, "updated": 0, "duplicates": 0,
        "rejected": 2,
    }  # fmt: skip
    with open(record.rejected_path, encoding="utf-8-sig") as handle:
        rejected = list(csv.reader(handle))
    assert [r[0] for r in rejected] == ["row", "5", "9"]
    assert rejected[1][1] == "Email: Not a valid e-mail address: bad"


def test_publish_command(app, maker):
    drafts = [f.lead(maker) for _ in range(3)]
    claimed = f.lead(maker, status=LeadStatus.CLAIMED)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["leads", "publish", "--manufacturer", "acme", "--all-drafts"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"published": 3, "skipped_not_draft": 0}
    db.session.expire_all()
    assert {db.session.get(Lead, d.id).status for d in drafts} == {LeadStatus.PUBLISHED}
    assert db.session.get(Lead, claimed.id).status == LeadStatus.CLAIMED
    events = db.session.scalars(sa.select(Event).where(Event.type == "lead.published")).all()
    assert {(e.actor_kind, e.data["from"], e.data["to"]) for e in events} == {("cli", "draft", "published")}
    result = runner.invoke(args=["leads", "publish", "--manufacturer", "acme", "--lead", str(claimed.id)])
    assert json.loads(result.output) == {"published": 0, "skipped_not_draft": 1}
    result = runner.invoke(args=["leads", "publish", "--manufacturer", "acme", "--lead", "999999"])
    assert result.exit_code == 1 and "no lead 999999" in result.output
    assert runner.invoke(args=["leads", "publish", "--manufacturer", "acme"]).exit_code == 1


def test_transition_refuses_a_status_it_does_not_come_from(app, maker):
    from exchange.leads.lifecycle import transition
    from exchange.platform.errors import Conflict

    lead = f.lead(maker, status=LeadStatus.WON)
    with pytest.raises(Conflict):
        transition(lead, LeadStatus.PUBLISHED, None, "lead.published", allowed_from=[LeadStatus.DRAFT])
    event = transition(lead, LeadStatus.LOST, None, "lead.lost", partner_id=None, reason="budget cut")
    assert lead.status == LeadStatus.LOST
    assert (event.type, event.data) == ("lead.lost", {"from": "won", "to": "lost", "reason": "budget cut"})


# --- hostile and broken files (issue 10) -----------------------------------------------------------


def lead_names(maker_id):
    return sorted(db.session.scalars(sa.select(Lead.company_name).where(Lead.manufacturer_id == maker_id)))


@pytest.mark.parametrize(
    "content",
    [
        b"Company,Email\rA GmbH,a@a.example\rB GmbH,b@b.example\r",  # old Mac line ends
        b'Company,Email,Notes\r\nA GmbH,a@a.example,"one\rtwo"\r\nB GmbH,b@b.example,x\r\n',
        b'Company,Email,Notes\nA GmbH,a@a.example,plain\nB GmbH,b@b.example,"x\ry"\n',
    ],
    ids=["cr-only", "cr-in-quoted-field", "cr-in-quoted-field-not-first"],
)
def test_lone_carriage_returns_are_line_ends_or_text(app, maker, tmp_path, content):
    (tmp_path / "cr.csv").write_bytes(content)
    result = cli_json(app, tmp_path / "cr.csv", "--manufacturer", "acme")
    assert (result["created"], result["rejected"]) == (2, 0), result["errors"]
    assert lead_names(maker.id) == ["A GmbH", "B GmbH"]


def test_random_bytes_are_refused_with_a_message(app, maker, tmp_path):
    import random

    noise = random.Random(10)
    content = bytes(noise.choice([b for b in range(1, 256)]) for _ in range(20_000))
    (tmp_path / "noise.csv").write_bytes(content)
    result = run_cli(app, tmp_path / "noise.csv", "--manufacturer", "acme")
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "noise.csv: " in result.output


def test_upload_of_a_cr_file_and_of_noise_is_read_in_the_job(client, maker, tmp_path, monkeypatch):
    from exchange.models import Role

    f.login(client, f.user(maker, Role.MANUFACTURER_ADMIN))
    db.session.commit()
    queued = []
    monkeypatch.setattr(import_upload, "enqueue", lambda task, *args: queued.append((task, *args)))
    noise = bytes(range(1, 256)) * 40 + b'"\r"x\r,\r;'
    cr = b"Company,Email\rA GmbH,a@a.example\r"
    ids = []
    for content, name in ((noise, "n.csv"), (cr, "cr.csv")):
        response = client.post(
            "/manage/imports", data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data"
        )
        assert response.status_code == 302  # the request only keeps the file
        ids.append(int(response.headers["Location"].rsplit("/", 1)[1]))
    assert queued == [("leads.read_upload", ids[0]), ("leads.read_upload", ids[1])]
    page = client.get(f"/manage/imports/{ids[0]}").get_data(as_text=True)
    assert 'data-testid="reading"' in page
    assert client.get(f"/manage/imports/{ids[0]}/progress").get_json()["status"] == "reading"
    for import_id in ids:
        with unit_of_work.transaction():  # as the job runner runs it
            import_upload.read_upload_job(import_id)
    db.session.expire_all()
    noisy, fine = (db.session.get(LeadImport, i) for i in ids)
    assert noisy.status == ImportStatus.FAILED and "The first row must name the columns" in noisy.message
    assert not Path(noisy.stored_path).exists()
    assert "The first row must name the columns" in client.get(f"/manage/imports/{ids[0]}").get_data(
        as_text=True
    )
    assert (fine.status, fine.mapping) == (ImportStatus.UPLOADED, ["company_name", "contact_email"])
    assert ">A GmbH<" in client.get(f"/manage/imports/{ids[1]}").get_data(as_text=True)


def nul_file(path: Path, good_before: int) -> Path:
    rows = [["Id", "Company", "Email"]]
    rows += [[f"G{n}", f"Good {n}", f"g{n}@good.example"] for n in range(good_before)]
    rows += [["NUL", "Bad\x00 GmbH", "nul@bad.example"], ["LAST", "Last GmbH", "last@good.example"]]
    return write_csv(path, rows)


@pytest.mark.app_config(LEAD_IMPORT_BATCH_SIZE=1000)
def test_a_nul_byte_rejects_its_row_and_the_rest_lands(app, maker, tmp_path):
    """Runs on SQLite and, with DATABASE_URL, on PostgreSQL (which cannot store NUL at all)."""
    result = cli_json(app, nul_file(tmp_path / "nul.csv", 6000), "--manufacturer", "acme")
    assert (result["rows"], result["created"], result["rejected"]) == (6002, 6001, 1)
    assert result["errors"] == [
        {"row": 6002, "column": "Company", "message": "Contains a NUL character (0x00); remove it."}
    ]
    record = db.session.get(LeadImport, result["import_id"])
    assert record.status == ImportStatus.DONE
    assert "LAST" in leads_by_source(maker.id) and "NUL" not in leads_by_source(maker.id)


def test_a_nul_in_the_header_line_is_not_a_text_file(app, maker, tmp_path):
    (tmp_path / "bin.csv").write_bytes(b"Com\x00pany,Email\nA,a@a.example\n")
    result = run_cli(app, tmp_path / "bin.csv", "--manufacturer", "acme")
    assert result.exit_code == 1 and "not a text (CSV) file" in result.output


def test_api_batch_rejects_only_the_item_with_a_nul(client, maker):
    from exchange.accounts.tokens import issue_token
    from exchange.models import Role, TokenScope

    user = f.user(maker, Role.MANUFACTURER_ADMIN)
    db.session.commit()
    token = issue_token(user, "crm", TokenScope.READ_WRITE).plaintext
    db.session.commit()
    items = [
        {"company_name": "Fine GmbH", "contact_email": "fine@x.example"},
        {"company_name": "Nul\u0000 GmbH", "contact_email": "nul@x.example", "city": "K\u0000ln"},
        {"company_name": "Also Fine", "contact_phone": "+49 1"},
    ]
    response = client.post(
        "/api/v1/leads/batch", json={"items": items}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected", "created"]
    assert body["results"][1]["errors"] == {
        "company_name": ["Contains a NUL character (0x00); remove it."],
        "city": ["Contains a NUL character (0x00); remove it."],
    }
    assert lead_names(maker.id) == ["Also Fine", "Fine GmbH"]


def test_utf8_file_with_one_windows_1252_row_reports_that_row(app, maker, tmp_path):
    lines = [
        "Company,Email,City",
        "Müller GmbH,m@mueller.example,München",
        "Jörg AG,j@joerg.example,Köln",
    ]
    content = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    content += "Groß KG,g@gross.example,Düsseldorf\r\n".encode("cp1252")
    content += b"Last GmbH,l@last.example,Berlin\r\n"
    (tmp_path / "mixed.csv").write_bytes(content)
    result = cli_json(app, tmp_path / "mixed.csv", "--manufacturer", "acme")
    assert (result["rows"], result["created"], result["rejected"]) == (4, 3, 1)
    assert [e["row"] for e in result["errors"]] == [4]
    assert "not UTF-8 text like the rest of the file" in result["errors"][0]["message"]
    assert lead_names(maker.id) == ["Jörg AG", "Last GmbH", "Müller GmbH"]  # not "MÃ¼ller"
    assert db.session.get(LeadImport, result["import_id"]).settings["encoding"] == "utf-8-sig"
    with open(db.session.get(LeadImport, result["import_id"]).rejected_path, encoding="utf-8-sig") as f_:
        assert "Groß KG" in f_.read()  # the rejected row, as it most likely reads


def test_windows_1252_file_with_one_utf8_row_reports_that_row(app, maker, tmp_path):
    content = "Company,Email\r\nMüller GmbH,m@m.example\r\nJörg AG,j@j.example\r\n".encode("cp1252")
    content += "Groß KG,g@g.example\r\n".encode()
    (tmp_path / "legacy.csv").write_bytes(content)
    result = cli_json(app, tmp_path / "legacy.csv", "--manufacturer", "acme")
    assert (result["created"], result["rejected"]) == (2, 1)
    assert (
        result["errors"][0]["row"] == 4
        and "UTF-8 text in a Windows-1252 file" in result["errors"][0]["message"]
    )
    assert lead_names(maker.id) == ["Jörg AG", "Müller GmbH"]


def test_a_cell_over_10_mib_rejects_its_row_and_the_rest_lands(app, maker, tmp_path):
    huge = "x" * (10 * 1024 * 1024 + 10)
    rows = [
        ["Company", "Email", "Notes"],
        ["A GmbH", "a@a.example", "short"],
        ["Huge GmbH", "h@h.example", huge],
        ["B GmbH", "b@b.example", "multi\nline"],
    ]
    result = cli_json(app, write_csv(tmp_path / "huge.csv", rows), "--manufacturer", "acme")
    assert (result["rows"], result["created"], result["rejected"]) == (3, 2, 1)
    assert result["errors"] == [{"row": 3, "column": "", "message": "The row is larger than 10 MiB."}]
    # The same in a quoted cell spanning lines.
    rows[2][2] = "line\n" * (2 * 1024 * 1024 + 10)
    result = cli_json(app, write_csv(tmp_path / "huge2.csv", rows), "--manufacturer", "acme")
    assert (result["rows"], result["duplicates"], result["rejected"]) == (3, 2, 1)


def test_an_unclosed_quote_loses_no_row_after_it(app, maker, tmp_path):
    content = b'Company,Email\nA GmbH,a@a.example\n"Broken GmbH,x@x.example\nB GmbH,b@b.example\n'
    (tmp_path / "q.csv").write_bytes(content)
    result = cli_json(app, tmp_path / "q.csv", "--manufacturer", "acme")
    assert (result["rows"], result["created"], result["rejected"]) == (3, 2, 1)
    assert "never closed" in result["errors"][0]["message"]
    assert lead_names(maker.id) == ["A GmbH", "B GmbH"]


def rewritten_xlsx(path: Path, rows: list[list], rewrite_sheet, **write_options) -> Path:
    """A workbook of ``rows`` as openpyxl writes it, then its sheet's XML put through ``rewrite_sheet``
    (bytes to bytes), as an exporter or a hostile file would have it."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path.with_suffix(".tmp"))
    with zipfile.ZipFile(path.with_suffix(".tmp")) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = rewrite_sheet(data)
            target.writestr(item, data, **write_options)
    return path


def stale_dimension_xlsx(path: Path, rows: list[list], ref: str) -> Path:
    """A workbook whose sheet declares the dimension ``ref`` whatever its rows are (as exporters do)."""

    def declare_ref(sheet: bytes) -> bytes:
        sheet = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), sheet)
        assert f'ref="{ref}"'.encode() in sheet
        return sheet

    return rewritten_xlsx(path, rows, declare_ref)


def test_xlsx_rows_beyond_the_declared_dimension_are_read(app, maker, tmp_path):
    rows = [["Company", "Email", "City", "Phone"]]
    rows += [[f"Co {n}", f"c{n}@co.example", "Köln", f"+49 {n}"] for n in range(5)]
    path = stale_dimension_xlsx(tmp_path / "stale.xlsx", rows, "A1:C2")
    result = cli_json(app, path, "--manufacturer", "acme")
    assert (result["rows"], result["created"]) == (5, 5)
    assert db.session.scalar(sa.select(Lead.contact_phone).where(Lead.company_name == "Co 4")) == "+49 4"


@pytest.mark.app_config(LEAD_IMPORT_MAX_CELL_CHARS=1000)
def test_an_xlsx_cell_over_the_limit_rejects_its_row(app, maker, tmp_path):
    workbook = Workbook()
    for row in [["Company", "Email", "Notes"], ["A", "a@a.example", "ok"], ["Big", "b@b.example", "y" * 1001],
                ["C", "c@c.example", "ok"]]:  # fmt: skip
        workbook.active.append(row)
    workbook.save(tmp_path / "big.xlsx")
    result = cli_json(app, tmp_path / "big.xlsx", "--manufacturer", "acme")
    assert (result["created"], result["rejected"]) == (2, 1)
    assert result["errors"] == [
        {"row": 3, "column": "", "message": "A cell is longer than 1,000 characters."}
    ]


def test_a_workbook_that_unpacks_too_large_is_refused_before_reading(app, maker, tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/sharedStrings.xml", "w") as entry:  # 600 MiB of one cell, 600 KB packed
            entry.write(b"<sst><si><t>")
            block = b"A" * (1024 * 1024)
            for _ in range(600):
                entry.write(block)
            entry.write(b"</t></si></sst>")
    assert path.stat().st_size < 2 * 1024 * 1024
    result = run_cli(app, path, "--manufacturer", "acme")
    assert result.exit_code == 1
    assert "unpacks to 600 MiB, more than the 512 MiB an import may read" in result.output


def shared_strings_xlsx(path: Path, rows: list[list[str]]) -> Path:
    """A minimal workbook as Excel writes it: every text in the shared-strings table (openpyxl writes
    inline strings, which would not exercise that table)."""
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    texts: list[str] = []
    sheet_rows = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row, start=1):
            texts.append(value)
            cells.append(f'<c r="{get_column_letter(c)}{r}" t="s"><v>{len(texts) - 1}</v></c>')
        sheet_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    strings = "".join(f"<si><t>{escape(t)}</t></si>" for t in texts)
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats'
        '-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument'
        '.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName='
        '"/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml'
        '.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        '<sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.'
        f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
        f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{rel}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><worksheet xmlns="{main}"><dimension ref="A1"/>'
        f"<sheetData>{''.join(sheet_rows)}</sheetData></worksheet>",
        "xl/sharedStrings.xml": f'<?xml version="1.0"?><sst xmlns="{main}" count="{len(texts)}">'
        f"{strings}</sst>",
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


@pytest.mark.app_config(LEAD_IMPORT_MAX_SHARED_STRINGS=50, LEAD_IMPORT_MAX_CELL_CHARS=1000)
def test_shared_strings_are_bounded(app, maker, tmp_path):
    rows = [["Company", "Email", "Notes"], ["A", "a@a.example", "ok"], ["Big", "b@b.example", "y" * 1001],
            ["C", "c@c.example", "ok"]]  # fmt: skip
    result = cli_json(app, shared_strings_xlsx(tmp_path / "s.xlsx", rows), "--manufacturer", "acme")
    assert (result["created"], result["rejected"]) == (2, 1)
    assert result["errors"] == [
        {"row": 3, "column": "", "message": "A cell is longer than 1,000 characters."}
    ]

    rows = [["Company", "Email"]] + [[f"Co {n}", f"c{n}@co.example"] for n in range(40)]
    result = run_cli(app, shared_strings_xlsx(tmp_path / "many.xlsx", rows), "--manufacturer", "acme")
    assert result.exit_code == 1
    assert "more than 50 distinct texts" in result.output


def test_a_csv_with_100000_columns_is_refused_naming_the_limit(app, maker, tmp_path):
    header = ",".join(["Company", "Email"] + [f"c{n}" for n in range(100_000)])
    (tmp_path / "wide.csv").write_text(header + "\nA,a@a.example\n")
    result = run_cli(app, tmp_path / "wide.csv", "--manufacturer", "acme")
    assert result.exit_code == 1
    assert "100,002 columns; an import reads at most 1,000" in result.output


@pytest.mark.app_config(LEAD_IMPORT_MAX_ROWS=5)
def test_a_file_over_the_row_limit_fails_before_a_row_lands(app, maker, tmp_path):
    rows = [["Company", "Email"]] + [[f"Co {n}", f"c{n}@co.example"] for n in range(8)]
    result = run_cli(app, write_csv(tmp_path / "long.csv", rows), "--manufacturer", "acme")
    assert result.exit_code == 1
    assert "more than 5 rows" in result.output
    assert lead_names(maker.id) == []


@pytest.mark.app_config(LEAD_IMPORT_PREVIEW_COLUMNS=10)
def test_the_preview_shows_a_bounded_number_of_columns(client, maker, run_jobs):
    from exchange.models import Role

    f.login(client, f.user(maker, Role.MANUFACTURER_ADMIN))
    db.session.commit()
    header = [f"extra {n}" for n in range(300)] + ["Company", "Email"]
    row = [f"v{n}" for n in range(300)] + ["A GmbH", "a@a.example"]
    content = (",".join(header) + "\n" + ",".join(row) + "\n").encode()
    response = client.post(
        "/manage/imports", data={"file": (io.BytesIO(content), "w.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    run_jobs()
    record = db.session.scalar(sa.select(LeadImport))
    stored = Path(record.stored_path)
    kept = stored.read_bytes()
    stored.unlink()  # the preview page shows what the job read; it does not open the file again
    page = client.get(f"/manage/imports/{record.id}").get_data(as_text=True)
    stored.write_bytes(kept)
    assert page.count('<select class="form-select form-select-sm"') == 12  # 10 first + the 2 mapped
    assert "extra 9</th>" in page and "extra 10</th>" not in page and ">A GmbH<" in page
    assert "290 more columns are not shown; they are not imported." in page
    # Saving the form keeps the mapping of the columns it did not show.
    form = {"encoding": "utf-8-sig", "delimiter": ",", "number_format": "en", "campaign_id": ""}
    form |= {f"map_{i}": "" for i in range(10)} | {"map_300": "company_name", "map_301": "contact_email"}
    assert client.post(f"/manage/imports/{record.id}", data={**form, "action": "start"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(LeadImport, record.id).mapping[-2:] == ["company_name", "contact_email"]


def inline_cell_xlsx(path: Path, length: int) -> Path:
    """A workbook with one inline text of ``length`` characters in C2 (openpyxl cuts what it writes to
    Excel's 32,767, so the text is put into the sheet's XML afterwards, as a hostile file would)."""
    rows = [["Company", "Email", "Notes"], ["A", "a@a.example", "PLACEHOLDER"], ["B", "b@b.example"]]
    return rewritten_xlsx(
        path,
        rows,
        lambda sheet: sheet.replace(b"PLACEHOLDER", b"z" * length),
        compress_type=zipfile.ZIP_DEFLATED,
    )


@pytest.mark.app_config(LEAD_IMPORT_MAX_CELL_CHARS=100_000)
def test_an_inline_xlsx_cell_far_over_the_limit_is_refused_before_openpyxl_reads_it(app, maker, tmp_path):
    path = inline_cell_xlsx(tmp_path / "inline.xlsx", 400_001)
    result = run_cli(app, path, "--manufacturer", "acme")
    assert result.exit_code == 1
    assert "The worksheet has a cell longer than 400,000 characters" in result.output
    # Up to four times the limit, the cell is read and only its row rejected.
    result = cli_json(app, inline_cell_xlsx(tmp_path / "inline2.xlsx", 399_990), "--manufacturer", "acme")
    assert (result["created"], result["rejected"]) == (1, 1)


def test_an_upload_whose_reading_job_is_lost_fails_visibly(client, maker, tmp_path, monkeypatch):
    """If the leads.read_upload job is lost (or gives up), the import does not stay "reading" forever."""
    from datetime import timedelta

    from exchange.models import JobStatus, OutboxJob, Role
    from exchange.platform import clock

    f.login(client, f.user(maker, Role.MANUFACTURER_ADMIN))
    db.session.commit()
    monkeypatch.setattr(import_upload, "enqueue", lambda task, *args: None)  # the job never arrives
    ids = []
    for name in ("lost.csv", "gave-up.csv", "slow.csv"):
        response = client.post(
            "/manage/imports",
            data={"file": (io.BytesIO(b"Company,Email\nA GmbH,a@a.example\n"), name)},
            content_type="multipart/form-data",
        )
        ids.append(int(response.headers["Location"].rsplit("/", 1)[1]))
    lost, gave_up, slow = ids
    # gave-up.csv: its job failed after the last attempt; slow.csv: its job is still running.
    db.session.add(OutboxJob(task="leads.read_upload", args=[gave_up], status=JobStatus.FAILED))
    db.session.add(OutboxJob(task="leads.read_upload", args=[slow], status=JobStatus.RUNNING))
    db.session.commit()

    def progress(import_id):
        return client.get(f"/manage/imports/{import_id}/progress").get_json()

    # Within the timeout a lost job cannot be told from a slow one; a job that gave up can.
    assert [progress(i)["status"] for i in ids] == ["reading", "failed", "reading"]
    with clock.frozen(clock.now() + timedelta(minutes=11)):
        answer = progress(lost)
        assert (answer["status"], answer["finished"]) == ("failed", True)
        assert progress(slow)["status"] == "reading"  # the job is running: its heartbeat guards it
        page = client.get(f"/manage/imports/{lost}").get_data(as_text=True)
    assert "The file was not read: the job reading it was lost or gave up." in page
    record = db.session.get(LeadImport, lost)
    assert not Path(record.stored_path).exists()
    import_upload.read_upload_job(lost)  # the job turning up late changes nothing
    db.session.expire_all()
    assert db.session.get(LeadImport, lost).status == ImportStatus.FAILED
