"""The partner import in the browser: upload -> preview with the mapping -> start -> progress -> the
summary with errors and the rejected rows; another programme's import and a lead import id are 404."""

from __future__ import annotations

import io

import sqlalchemy as sa

from exchange.models import Enrollment, LeadImport, OutboxJob, Role
from exchange.platform.extensions import db
from tests import factories as f
from tests.test_partner_import import salesforce_rows


def csv_bytes(rows: list[list[str]]) -> bytes:
    return ("\r\n".join(",".join(f'"{cell}"' for cell in row) for row in rows) + "\r\n").encode()


def upload(client, content: bytes, name: str = "accounts.csv", **fields):
    return client.post(
        "/manage/partners/imports",
        data={"file": (io.BytesIO(content), name), **fields},
        content_type="multipart/form-data",
    )


def signed_in_admin(client, maker):
    admin = f.user(maker, Role.MANUFACTURER_ADMIN)
    db.session.commit()
    f.login(client, admin)
    return admin


def test_upload_preview_start_and_summary(client, maker, run_jobs):
    signed_in_admin(client, maker)
    rows = salesforce_rows(4)
    rows[2][10] = "broken-address"  # row 3
    rows[3].extend(["", ""])  # harmless empty cells beyond the header
    response = upload(client, csv_bytes(rows), invite="y")
    assert response.status_code == 302
    record = db.session.scalar(sa.select(LeadImport))
    assert record.kind == "partners" and record.options == {"invite": True}
    assert response.headers["Location"].endswith(f"/manage/partners/imports/{record.id}")
    assert "Reading the file" in client.get(f"/manage/partners/imports/{record.id}").get_data(as_text=True)
    run_jobs()
    page = client.get(f"/manage/partners/imports/{record.id}").get_data(as_text=True)
    assert ">Partner 1 GmbH<" in page and 'data-testid="coverage-syntax"' in page
    assert '<option value="admin_email" selected>' in page and '<option value="tier" selected>' in page
    assert 'name="invite"' in page and "DE-BY" in page
    form = {"encoding": "utf-8-sig", "delimiter": ",", "number_format": "en", "invite": "y"}
    form |= {f"map_{i}": name or "" for i, name in enumerate(record.mapping)}
    assert (
        client.post(f"/manage/partners/imports/{record.id}", data={**form, "action": "start"}).status_code
        == 302
    )
    progress = client.get(f"/manage/partners/imports/{record.id}/progress").get_json()
    assert progress["status"] in ("queued", "running", "done")
    run_jobs()
    progress = client.get(f"/manage/partners/imports/{record.id}/progress").get_json()
    assert progress["finished"] and (progress["created"], progress["rejected"]) == (3, 1)
    page = client.get(f"/manage/partners/imports/{record.id}").get_data(as_text=True)
    assert 'data-testid="import-done"' in page and 'data-count="created">3<' in page
    assert "<td>3</td><td>Partner_Admin_Email__c</td>" in page
    assert f"/manage/partners/imports/{record.id}/rejected.csv" in page
    download = client.get(f"/manage/partners/imports/{record.id}/rejected.csv")
    assert download.status_code == 200 and b"broken-address" in download.data
    download.close()
    assert db.session.scalar(sa.select(sa.func.count(Enrollment.id))) == 3
    assert db.session.scalar(
        sa.select(sa.func.count(OutboxJob.id)).where(OutboxJob.task == "accounts.send_password_link")
    ) == 3  # fmt: skip
    listing = client.get("/manage/partners/imports").get_data(as_text=True)
    assert "accounts.csv" in listing and f"/manage/partners/imports/{record.id}" in listing
    assert "accounts.csv" not in client.get("/manage/imports").get_data(as_text=True)


def test_a_mapping_without_the_admin_email_is_refused_on_the_page(client, maker, run_jobs):
    signed_in_admin(client, maker)
    upload(client, csv_bytes([["Name", "Boss"], ["Odd Corp", "boss@odd.example"]]))
    run_jobs()
    record = db.session.scalar(sa.select(LeadImport))
    form = {"encoding": "utf-8-sig", "delimiter": ",", "number_format": "en", "map_0": "company", "map_1": ""}
    page = client.post(f"/manage/partners/imports/{record.id}", data={**form, "action": "start"})
    assert page.status_code == 200 and "Map a column to Admin e-mail" in page.get_data(as_text=True)
    form["map_1"] = "admin_email"
    assert (
        client.post(f"/manage/partners/imports/{record.id}", data={**form, "action": "start"}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(LeadImport, record.id).options["invite"] is False  # the box was not ticked
    run_jobs()
    (enrollment,) = db.session.scalars(sa.select(Enrollment)).all()
    assert enrollment.invited_email == "boss@odd.example" and enrollment.invited_at is None


def test_an_unreadable_upload_is_refused_on_the_file_field(client, maker):
    signed_in_admin(client, maker)
    page = upload(client, b"", "empty.csv")
    assert page.status_code == 200 and "The file is empty." in page.get_data(as_text=True)


def test_another_programmes_import_and_a_lead_import_are_404(client, maker, run_jobs):
    other = f.manufacturer("Other")
    other_admin = f.user(other, Role.MANUFACTURER_ADMIN)
    db.session.commit()
    f.login(client, other_admin)
    upload(client, csv_bytes(salesforce_rows(1)))
    theirs = db.session.scalar(sa.select(LeadImport)).id
    client.post(
        "/manage/imports",
        data={"file": (io.BytesIO(b"Company,Email\nA,a@a.example\n"), "leads.csv")},
        content_type="multipart/form-data",
    )
    lead_import = db.session.scalar(sa.select(LeadImport).where(LeadImport.kind == "leads")).id
    run_jobs()
    for path in ("", "/progress", "/rejected.csv"):
        assert client.get(f"/manage/partners/imports/{lead_import}{path}").status_code == 404
        assert client.get(f"/manage/imports/{theirs}{path}").status_code == 404
    f.login(client, signed_in_admin(client.application.test_client(), maker))
    for path in ("", "/progress", "/rejected.csv"):
        assert client.get(f"/manage/partners/imports/{theirs}{path}").status_code == 404


def test_channel_managers_may_not_import_partners(client, maker):
    f.login(client, f.user(maker, Role.CHANNEL_MANAGER))
    db.session.commit()
    assert client.get("/manage/partners/imports").status_code == 403
