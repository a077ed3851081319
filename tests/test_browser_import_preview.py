"""In a real browser at 1,280 px: the preview of a 14-column export scrolls inside its own box (the
page itself never scrolls sideways) and every mapping select shows its whole field name."""

from __future__ import annotations

import pytest

from exchange.models import Role
from exchange.platform.extensions import db
from tests import factories as f
from tests.browser import sign_in, upload_for_preview

pytestmark = pytest.mark.browser

HEADERS = [
    "Lead ID",
    "First Name",
    "Last Name",
    "Title",
    "Company",
    "Email",
    "Phone",
    "Street",
    "City",
    "State/Province",
    "Zip/Postal Code",
    "Country",
    "Lead Source",
    "Description",
]
ROW = [
    "00Q5g000001",
    "Erika",
    "Mustermann",
    "Head of Procurement and Facility Management",
    "Hahn Werke GmbH & Co. KG Industriepumpen",
    "erika.mustermann@hahn-werke.example",
    "+49 89 1234 5678",
    "Industriestraße 123, Gebäude 4",
    "Garching bei München",
    "Bavaria",
    "85748",
    "Germany",
    "Trade fair Hannover Messe",
    "Needs three circulation pumps for the new plant, budget approved",
]

# The selected option's text, measured in the select's own font, against the room inside the select
# (its padding holds the arrow): a cut label ("Ph", "Cit") is wider than that room.
CUT_SELECTS = """() => {
  const canvas = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('[data-testid=preview] select')].flatMap((select) => {
    const style = getComputedStyle(select);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const text = select.options[select.selectedIndex].text;
    const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const width = canvas.measureText(text).width;
    return width > room + 0.5 ? [`${text}: ${width} > ${room}`] : [];
  });
}"""


@pytest.fixture
def admin(app):
    maker = f.manufacturer("Acme Pumps")
    f.user(maker, Role.MANUFACTURER_ADMIN, email="boss@acme.test")
    db.session.commit()


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_a_wide_preview_fits_1280_px_and_shows_every_field_name(page, live_server, admin, run_jobs):
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, "boss@acme.test", lands_on="/manage/")
    page.goto(f"{live_server}/manage/imports")
    upload_for_preview(page, [HEADERS, ROW, ROW], "salesforce.csv", run_jobs)
    preview = page.get_by_test_id("preview")
    preview.wait_for()
    assert page.get_by_label("Field for column Phone").input_value() == "contact_phone"

    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    box = page.evaluate(
        "() => { const box = document.querySelector('[data-testid=preview]').parentElement;"
        " return [box.scrollWidth, box.clientWidth, getComputedStyle(box).overflowX]; }"
    )
    assert box[0] > box[1] and box[2] == "auto"  # the table is wider: its own box scrolls
    assert page.evaluate(CUT_SELECTS) == []

    page.get_by_label("Field for column Title").select_option("lifecycle_stage")  # the longest name
    assert page.evaluate(CUT_SELECTS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
