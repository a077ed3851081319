"""The manufacturer's pages: import in the browser (upload, preview, mapping, job, result, rejected
rows), lead list filters and CSV export (formula escaping), the lead form, publish / withdraw,
campaigns and qualification rules."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from exchange.leads.qualification import cool_unworked_leads
from exchange.models import Campaign, Event, ImportStatus, Lead, LeadImport, OutboxJob
from exchange.models.enums import LeadStatus, Role, Temperature
from exchange.platform import clock
from exchange.platform.extensions import db
from tests import factories as f


@pytest.fixture
def admin(client, maker):
    user = f.user(maker, Role.MANUFACTURER_ADMIN)
    db.session.commit()
    f.login(client, user)
    return user


UPLOAD = (
    "Id;Firma;E-Mail;Land;Mitarbeiter;Jahresumsatz;Notiz\r\n"
    "1;Alpha GmbH;a@alpha.example;Deutschland;1.200;2.500.000,00;ok\r\n"
    '2;Beta GmbH;not-an-email;Österreich;12;;=HYPERLINK("http://evil")\r\n'
    "3;Gamma GmbH;g@gamma.example;Schweiz;viele;;\r\n"
    "1;Alpha GmbH;a@alpha.example;Deutschland;1.200;;dup\r\n"
)


def test_import_in_the_browser(client, admin, maker, run_jobs):
    response = client.post(
        "/manage/imports",
        data={"file": (io.BytesIO(UPLOAD.encode("cp1252")), "crm export.csv"), "campaign_id": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    run_jobs()  # the leads.read_upload job reads the file, not the request
    record = db.session.scalar(sa.select(LeadImport))
    assert response.headers["Location"].endswith(f"/manage/imports/{record.id}")
    assert record.mapping == [
        "source_id",
        "company_name",
        "contact_email",
        "country",
        "employees",
        "annual_revenue",
        "description",
    ]
    page = client.get(f"/manage/imports/{record.id}").get_data(as_text=True)
    assert "Alpha GmbH" in page and "Österreich" in page  # the preview, decoded from Windows-1252
    assert '<option selected value="de">' in page  # German numbers detected

    # The user decides the "Notiz" column is not worth importing, and starts.
    mapping = {f"map_{i}": name or "" for i, name in enumerate(record.mapping)}
    mapping["map_6"] = ""
    form = {"encoding": "cp1252", "delimiter": ";", "number_format": "de", "campaign_id": "", **mapping}
    response = client.post(f"/manage/imports/{record.id}", data={**form, "action": "start"})
    assert response.status_code == 302
    db.session.expire_all()
    # Queued; the in-process runner (already awake from reading the upload) may have picked it up.
    assert db.session.get(LeadImport, record.id).status in (
        ImportStatus.QUEUED,
        ImportStatus.RUNNING,
        ImportStatus.DONE,
    )
    run_jobs()
    progress = client.get(f"/manage/imports/{record.id}/progress").get_json()
    assert progress == {
        "status": "done", "rows_done": 4, "total_rows": 4, "percent": 100, "created": 1, "updated": 0,
        "duplicates": 1, "rejected": 2, "finished": True,
    }  # fmt: skip
    page = client.get(f"/manage/imports/{record.id}").get_data(as_text=True)
    assert "Not a valid e-mail address: not-an-email" in page
    assert "Not a whole number: viele" in page
    assert not Path(record.stored_path).exists()  # the upload is removed once imported
    alpha = db.session.scalar(sa.select(Lead).where(Lead.company_name == "Alpha GmbH"))
    assert (alpha.employees, alpha.description) == (1200, None)

    response = client.get(f"/manage/imports/{record.id}/rejected.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    body = response.get_data(as_text=True)
    response.close()
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == [
        "row",
        "reason",
        "Id",
        "Firma",
        "E-Mail",
        "Land",
        "Mitarbeiter",
        "Jahresumsatz",
        "Notiz",
    ]
    assert rows[1][:3] == ["3", "E-Mail: Not a valid e-mail address: not-an-email", "2"]
    assert rows[1][-1] == '\'=HYPERLINK("http://evil")'  # escaped, not run
    assert rows[2][:2] == ["4", "Mitarbeiter: Not a whole number: viele"]
    # The rows hold contact details (they never became leads): the download is recorded on the import.
    [download] = db.session.scalars(sa.select(Event).where(Event.type == "import.rejected_rows_downloaded"))
    assert (download.actor_user_id, download.manufacturer_id) == (admin.id, maker.id)
    assert download.data == {"import_id": record.id, "rows": 2, "via": "csv"}


def test_upload_errors_are_shown_on_the_form(client, admin):
    response = client.post(
        "/manage/imports", data={"file": (io.BytesIO(b""), "empty.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    assert "The file is empty." in response.get_data(as_text=True)
    response = client.post(
        "/manage/imports", data={"file": (io.BytesIO(b"x"), "leads.pdf")}, content_type="multipart/form-data"
    )
    assert "Upload a .csv, .txt, .tsv or .xlsx file." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadImport)) == 0


@pytest.mark.app_config(LEAD_IMPORT_MAX_BYTES=100)
def test_too_large_upload_is_refused_with_a_message(client, admin):
    response = client.post(
        "/manage/imports",
        data={"file": (io.BytesIO(b"a,b\n" * 100), "big.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "larger than" in response.get_data(as_text=True)


def test_mapping_needs_a_company_and_one_field_per_column(client, admin, maker, tmp_path, run_jobs):
    response = client.post(
        "/manage/imports",
        data={"file": (io.BytesIO(b"Company,Email,Phone\nA,a@a.example,1\n"), "x.csv")},
        content_type="multipart/form-data",
    )
    import_id = int(response.headers["Location"].rsplit("/", 1)[1])
    run_jobs()
    base = {
        "encoding": "utf-8-sig",
        "delimiter": ",",
        "number_format": "en",
        "campaign_id": "",
        "action": "start",
    }
    page = client.post(
        f"/manage/imports/{import_id}", data={**base, "map_0": "", "map_1": "contact_email", "map_2": ""}
    )
    assert "Map a column to Company" in page.get_data(as_text=True)
    page = client.post(
        f"/manage/imports/{import_id}",
        data={**base, "map_0": "company_name", "map_1": "contact_email", "map_2": "contact_email"},
    )
    assert "Columns Email and Phone both map to E-mail" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(LeadImport, import_id).status == ImportStatus.UPLOADED


def test_lead_list_filters_and_pages(client, admin, maker):
    campaign = Campaign(manufacturer_id=maker.id, name="Webinar")
    db.session.add(campaign)
    db.session.flush()
    f.lead(maker, company_name="Hot Leads AG", temperature=Temperature.HOT, campaign_id=campaign.id)
    f.lead(maker, company_name="Cold Call Ltd", temperature=Temperature.COLD, country="AT")
    db.session.commit()
    page = client.get(f"/manage/leads?campaign_id={campaign.id}").get_data(as_text=True)
    assert "Hot Leads AG" in page and "Cold Call Ltd" not in page
    page = client.get("/manage/leads?q=cold&country=at").get_data(as_text=True)
    assert "Cold Call Ltd" in page and "Hot Leads AG" not in page
    page = client.get("/manage/leads?temperature=lukewarm").get_data(as_text=True)
    assert "Filter temperature ignored" in page and "Hot Leads AG" in page


def test_csv_export_escapes_formulas(client, admin, maker):
    f.lead(
        maker,
        company_name="=cmd|' /C calc'!A0",
        contact_phone="+49 89 1",
        contact_last_name="@SUM(A1)",
        description="\tx",
    )
    f.lead(maker, company_name="Plain GmbH", temperature=Temperature.HOT, contact_last_name="-2+3")
    db.session.commit()
    response = client.get("/manage/leads/export.csv?sort=company_name")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    response.close()
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r["company_name"] for r in rows] == ["'=cmd|' /C calc'!A0", "Plain GmbH"]
    assert rows[0]["contact_phone"] == "'+49 89 1"
    assert rows[0]["contact_last_name"] == "'@SUM(A1)"
    assert rows[0]["description"] == "'\tx"
    assert rows[1]["contact_last_name"] == "'-2+3"
    assert rows[1]["employees"] == "120"  # numbers stay numbers
    response = client.get("/manage/leads/export.csv?temperature=hot")
    filtered = response.get_data(as_text=True)
    response.close()
    assert "Plain GmbH" in filtered and "calc" not in filtered


def test_lead_form_validates_like_the_import(client, admin, maker):
    response = client.post(
        "/manage/leads/new",
        data={"company_name": "", "contact_email": "nope", "employees": "ten", "country": "Narnia"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in (
        "Missing: every lead needs this.",
        "Not a valid e-mail address: nope",
        "Not a whole number: ten",
        "Unknown country: Narnia",
    ):
        assert message in page
    response = client.post(
        "/manage/leads/new",
        data={"company_name": "Form GmbH", "contact_phone": "+49 1", "country": "Germany", "employees": "50",
              "need": "yes", "fit": "yes", "budget": "yes", "product_line": "pumps", "campaign_id": ""},
    )  # fmt: skip
    assert response.status_code == 302
    lead = db.session.scalar(sa.select(Lead).where(Lead.company_name == "Form GmbH"))
    assert (lead.country, lead.temperature, lead.product_line.code) == ("DE", Temperature.WARM, "pumps")
    edit = client.get(f"/manage/leads/{lead.id}/edit").get_data(as_text=True)
    assert 'value="Form GmbH"' in edit
    response = client.post(
        f"/manage/leads/{lead.id}/edit",
        data={"company_name": "Form GmbH", "contact_phone": "+49 1", "country": "DE", "employees": "50",
              "need": "yes", "fit": "yes", "budget": "yes", "authority": "yes", "timeframe": "yes"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).temperature == Temperature.HOT
    page = client.get(f"/manage/leads/{lead.id}").get_data(as_text=True)
    assert "5 of 5 criteria met" in page
    assert "Changed:" in page and "temperature warm → hot" in page


def test_publish_and_withdraw_from_the_lead_page(client, admin, maker):
    lead = f.lead(maker)
    db.session.commit()
    client.post(f"/manage/leads/{lead.id}/publish")
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).status == LeadStatus.PUBLISHED
    assert db.session.scalar(sa.select(OutboxJob.args).where(OutboxJob.task == "leads.match")) == [[lead.id]]
    response = client.post(f"/manage/leads/{lead.id}/publish", follow_redirects=True)
    assert "Only drafts and leads that came back can be published" in response.get_data(as_text=True)
    client.post(f"/manage/leads/{lead.id}/withdraw", data={"reason": "duplicate in CRM"})
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).status == LeadStatus.WITHDRAWN
    page = client.get(f"/manage/leads/{lead.id}").get_data(as_text=True)
    assert "Withdrawn: duplicate in CRM" in page


def test_bulk_publish_from_the_list(client, admin, maker):
    drafts = [f.lead(maker) for _ in range(3)]
    won = f.lead(maker, status=LeadStatus.WON)
    db.session.commit()
    response = client.post(
        "/manage/leads/bulk",
        data={"action": "publish", "lead_ids": [str(d.id) for d in drafts] + [str(won.id)]},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "3 leads published." in page and "1 selected leads were left alone" in page
    assert db.session.scalar(sa.select(sa.func.count()).where(Lead.status == LeadStatus.PUBLISHED)) == 3


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_forms_need_the_csrf_token(client, admin, maker):
    lead = f.lead(maker)
    db.session.commit()
    assert (
        client.post("/manage/leads/bulk", data={"action": "publish", "lead_ids": [str(lead.id)]}).status_code
        == 400
    )
    assert client.post(f"/manage/leads/{lead.id}/publish").status_code == 400
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).status == LeadStatus.DRAFT


def test_channel_manager_reads_but_does_not_change(client, maker):
    manager = f.user(maker, Role.CHANNEL_MANAGER)
    lead = f.lead(maker)
    db.session.commit()
    f.login(client, manager)
    assert client.get("/manage/leads").status_code == 200
    assert "New lead" not in client.get("/manage/leads").get_data(as_text=True)
    assert client.post(f"/manage/leads/{lead.id}/publish").status_code == 403
    assert (
        client.post("/manage/leads/bulk", data={"action": "withdraw", "lead_ids": [str(lead.id)]}).status_code
        == 403
    )
    assert client.get("/manage/imports").status_code == 403


def test_campaign_pages(client, admin, maker):
    paid_search = {"name": "Paid search", "channel": "paid search", "starts_on": "2026-01-01"}
    response = client.post(
        "/manage/campaigns/new", data=paid_search | {"ends_on": "2025-12-01", "cost": "100"}
    )
    assert "The campaign cannot end before it starts." in response.get_data(as_text=True)
    response = client.post(
        "/manage/campaigns/new", data=paid_search | {"ends_on": "2026-03-01", "cost": "40000"}
    )
    assert response.status_code == 302
    campaign = db.session.scalar(sa.select(Campaign))
    assert (campaign.cost, campaign.currency) == (40000, "EUR")
    f.lead(maker, campaign_id=campaign.id)
    db.session.commit()
    assert "Paid search" in client.get("/manage/campaigns").get_data(as_text=True)
    response = client.post(f"/manage/campaigns/{campaign.id}/delete", follow_redirects=True)
    assert "1 leads belong to this campaign" in response.get_data(as_text=True)
    other = f.manufacturer("Other")
    foreign = Campaign(manufacturer_id=other.id, name="Theirs")
    db.session.add(foreign)
    db.session.commit()
    assert client.get(f"/manage/campaigns/{foreign.id}/edit").status_code == 404
    assert client.post(f"/manage/campaigns/{foreign.id}/delete").status_code == 404


def test_qualification_rules_requalify_drafts(client, admin, maker):
    three = {"need": True, "fit": True, "budget": True, "authority": False, "timeframe": False}
    draft = f.lead(maker, temperature=Temperature.WARM, **three)
    published = f.lead(maker, temperature=Temperature.WARM, status=LeadStatus.PUBLISHED, **three)
    db.session.commit()
    response = client.post(
        "/manage/qualification",
        data={"hot_min": "3", "warm_min": "2", "hot_requires": ["budget"], "requalify": "y"},
        follow_redirects=True,
    )
    assert "1 draft leads changed temperature" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Lead, draft.id).temperature == Temperature.HOT
    assert db.session.get(Lead, published.id).temperature == Temperature.WARM
    assert maker.program.qualification_rules["hot_requires"] == ["budget"]
    response = client.post("/manage/qualification", data={"hot_min": "2", "warm_min": "4"})
    assert "Warm needs between 0 and as many criteria as hot." in response.get_data(as_text=True)


def test_unworked_leads_cool_down_step_by_step(app, maker):
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    maker.program.cooling_days_per_step = 10
    with clock.frozen(start) as frozen:
        hot = f.lead(maker, temperature=Temperature.HOT, temperature_changed_at=start)
        claimed = f.lead(
            maker, temperature=Temperature.HOT, temperature_changed_at=start, status=LeadStatus.CLAIMED
        )
        old = f.lead(maker, temperature=Temperature.HOT, created_at=start, temperature_changed_at=None)
        db.session.commit()
        frozen.advance(days=9)
        assert cool_unworked_leads() == {"cooled": 0}
        frozen.advance(days=2)  # day 11: one step
        assert cool_unworked_leads() == {"cooled": 2}
        db.session.expire_all()
        assert db.session.get(Lead, hot.id).temperature == Temperature.WARM
        assert db.session.get(Lead, claimed.id).temperature == Temperature.HOT  # a partner works it
        frozen.advance(days=9)  # day 20: the second step is due (10 days after the first one)
        assert cool_unworked_leads() == {"cooled": 2}
        db.session.expire_all()
        lead = db.session.get(Lead, hot.id)
        assert lead.temperature == Temperature.COLD
        assert lead.temperature_reason == "Cooled from warm to cold: not worked for 10 days"
        frozen.advance(days=30)
        assert cool_unworked_leads() == {"cooled": 0}  # cold stays cold
    cooled = db.session.scalars(
        sa.select(Event.data).where(Event.type == "lead.cooled", Event.lead_id == old.id).order_by(Event.id)
    ).all()
    assert cooled == [{"from": "hot", "to": "warm", "days": 10}, {"from": "warm", "to": "cold", "days": 10}]


def test_cooling_off_when_days_is_zero(app, maker):
    maker.program.cooling_days_per_step = 0
    lead = f.lead(maker, temperature=Temperature.HOT, created_at=datetime(2020, 1, 1, tzinfo=UTC))
    db.session.commit()
    assert cool_unworked_leads() == {"cooled": 0}
    assert db.session.get(Lead, lead.id).temperature == Temperature.HOT


def test_cooling_is_a_periodic_job():
    from exchange.platform.jobs import registry

    assert "leads.cool" in {job.name for job in registry.PERIODIC_JOBS}
    assert registry.resolve_task("leads.cool") is cool_unworked_leads


def test_other_manufacturers_imports_are_404(client, admin, maker):
    other = f.manufacturer("Other")
    record = LeadImport(
        manufacturer_id=other.id,
        file_name="x.csv",
        stored_path="/nonexistent",
        file_format="csv",
        settings={"format": "csv"},
    )
    db.session.add(record)
    db.session.commit()
    for path in ("", "/progress", "/rejected.csv"):
        assert client.get(f"/manage/imports/{record.id}{path}").status_code == 404


def test_pages_render_in_every_state(client, admin, maker, tmp_path):
    campaign = Campaign(manufacturer_id=maker.id, name="Fair", cost=1000)
    db.session.add(campaign)
    partner = f.partner(maker, "Bavaria Systems")
    lead = f.lead(maker, campaign_id=campaign.id, description="Line one\nline two", imported_rating="hot")
    f.offer(lead, partner)
    queued = LeadImport(
        manufacturer_id=maker.id, file_name="q.csv", stored_path=str(tmp_path / "q.csv"), file_format="csv",
        settings={"format": "csv"}, status=ImportStatus.QUEUED, total_rows=10, rows_done=4,
    )  # fmt: skip
    db.session.add(queued)
    db.session.commit()
    assert "Bavaria Systems" in client.get(f"/manage/leads/{lead.id}").get_data(as_text=True)
    assert 'value="Fair"' in client.get(f"/manage/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert "Criteria met for hot" in client.get("/manage/qualification").get_data(as_text=True)
    page = client.get(f"/manage/imports/{queued.id}").get_data(as_text=True)
    assert 'aria-valuenow="40"' in page and "import-done" not in page
    assert "q.csv" in client.get("/manage/imports").get_data(as_text=True)
    assert client.get("/manage/leads/new").status_code == 200
    assert client.get("/manage/leads?sort=-estimated_value&page=3").status_code == 200
