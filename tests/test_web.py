"""The shell: error pages, JSON errors under /api, the health check, time zones, translations."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from exchange.models import Role
from exchange.platform.extensions import db
from tests import factories as f


def test_html_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "This page does not exist" in response.get_data(as_text=True)


def test_html_403_page(client, app):
    partner = f.partner(None)
    user = f.user(partner, Role.PARTNER_REP)
    db.session.commit()
    f.login(client, user)
    response = client.get("/manage/")
    assert response.status_code == 403
    assert "You do not have access" in response.get_data(as_text=True)


@pytest.mark.app_config(PROPAGATE_EXCEPTIONS=False)
def test_html_500_page_hides_the_error(client, app):
    @app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body
    assert "secret internals" not in body


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404
    assert client.get("/api/v1/me").get_json() == {
        "code": 401,
        "status": "Unauthorized",
        "message": "Authentication required: send a bearer token or sign in.",
        "errors": {},
    }


def test_api_405_keeps_the_allow_header(client, app):
    maker = f.manufacturer()
    user = f.user(maker)
    db.session.commit()
    f.login(client, user)
    response = client.delete("/api/v1/me")
    assert response.status_code == 405
    assert response.is_json
    assert "GET" in response.headers["Allow"]


def test_healthz_reports_database_and_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] == "ok"
    assert body["queue"] in ("embedded", "ok")
    assert body["status"] == "ok"


def test_healthz_is_503_when_the_database_is_gone(tmp_path):
    from exchange import create_app

    broken = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "REDIS_URL": None,
            "DATABASE_URL": f"sqlite:///{tmp_path}/missing-dir/nope/db.sqlite",
        }
    )
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    assert response.get_json()["status"] == "down"


def test_healthz_degraded_when_redis_is_down(client, app, monkeypatch):
    import fakeredis

    from exchange.platform.jobs.backends import RQBackend

    server = fakeredis.FakeServer()
    server.connected = False
    backend = RQBackend(app, "redis://fake")
    backend._connection = fakeredis.FakeRedis(server=server)
    monkeypatch.setattr(app.extensions["exchange.platform.jobs"], "backend", backend)
    response = client.get("/healthz")
    assert response.status_code == 200  # still serving; jobs wait in the outbox
    assert response.get_json()["queue"] == "unreachable"
    assert response.get_json()["status"] == "degraded"


def test_times_are_shown_in_the_viewers_time_zone(client, app):
    maker = f.manufacturer()
    lead = f.lead(maker, created_at=datetime(2026, 7, 1, 10, 0, tzinfo=UTC))
    user = f.user(maker)
    user.timezone = "Asia/Tokyo"
    db.session.commit()
    f.login(client, user)
    page = client.get(f"/manage/leads/{lead.id}").get_data(as_text=True)
    assert "7:00:00\u202fPM" in page or "7:00:00 PM" in page  # 10:00 UTC is 19:00 in Tokyo
    user.timezone = None
    db.session.commit()
    client.set_cookie("tz", "America/New_York")
    page = client.get(f"/manage/leads/{lead.id}").get_data(as_text=True)
    assert "6:00:00\u202fAM" in page or "6:00:00 AM" in page  # the browser's zone when none is chosen


def test_stored_times_are_utc(app):
    maker = f.manufacturer()
    berlin = datetime.fromisoformat("2026-07-01T12:00:00+02:00")
    lead = f.lead(maker, created_at=berlin)
    db.session.commit()
    db.session.expire_all()
    from exchange.models import Lead

    loaded = db.session.get(Lead, lead.id)
    assert loaded.created_at == berlin
    assert loaded.created_at.tzinfo == UTC
    with pytest.raises(Exception, match="naive"):
        f.lead(maker, created_at=datetime(2026, 1, 1))  # noqa: DTZ001


def test_locale_follows_user_then_browser(client, app):
    from flask_babel import get_locale

    from exchange.platform.i18n import select_locale

    with app.test_request_context(headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}):
        assert select_locale() == "de"
        assert str(get_locale()) == "de"
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert select_locale() is None  # falls back to the default (en)


def test_templates_mark_strings_for_translation():
    """Every template's visible text goes through _(): no bare English words between tags (code
    samples in <pre> and template comments are not text)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    offenders = []
    for template in list(root.glob("*/templates/**/*.html")):
        text = template.read_text()
        not_text = r"{%.*?%}|{{.*?}}|{#.*?#}|<script.*?</script>|<pre.*?</pre>|<!--.*?-->"
        text = re.sub(not_text, "", text, flags=re.S)
        for fragment in re.findall(r">([^<>]+)<", text):
            words = re.findall(r"[A-Za-z]{3,}", re.sub(r"&\w+;", "", fragment))
            if words:
                offenders.append(f"{template.name}: {fragment.strip()[:60]}")
    assert offenders == []


def test_static_assets_are_served_locally(client):
    page = client.get("/login").get_data(as_text=True)
    assert "cdn." not in page and "jsdelivr" not in page
    for path in (
        "/bootstrap/static/css/bootstrap.min.css",
        "/bootstrap/static/js/bootstrap.min.js",
        "/static/js/app.js",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        response.close()


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_interactive_api_docs_are_served_by_the_app(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in html and "/api/openapi.json" in html
    assert "cdn" not in html.lower()
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"):
        response = client.get(f"/api/docs/assets/{asset}")
        assert response.status_code == 200, asset
        response.close()


def test_pages_name_their_icon_so_browsers_do_not_ask_for_a_missing_favicon(client):
    """Without an icon link every first page view logged a 404 for /favicon.ico in the console."""
    page = client.get("/login").get_data(as_text=True)
    href = re.search(r'<link rel="icon"[^>]* href="([^"]+)"', page)
    assert href is not None
    assert '<link rel="icon"' in client.get("/api/docs").get_data(as_text=True)
    icon = client.get(href.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    icon.close()


def test_serve_on_another_port_points_e_mail_links_at_that_port(app, monkeypatch):
    """`make run PORT=5071` without EXCHANGE_PUBLIC_URL: invitations and resets link to :5071, not
    to the default :5000 where nothing (or another checkout) answers."""
    import werkzeug.serving

    from exchange.platform import jobs
    from exchange.platform.config import Defaults

    monkeypatch.delenv("EXCHANGE_PUBLIC_URL", raising=False)
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda *a, **k: None)
    monkeypatch.setattr(jobs, "start_embedded_scheduler", lambda app: None)
    app.config["PUBLIC_URL"] = Defaults.PUBLIC_URL
    result = app.test_cli_runner().invoke(args=["serve", "--port", "5071"])
    assert result.exit_code == 0, result.output
    assert app.config["PUBLIC_URL"] == "http://127.0.0.1:5071"
    # a configured address wins
    app.config["PUBLIC_URL"] = "https://leads.example.com"
    app.test_cli_runner().invoke(args=["serve", "--port", "5072"])
    assert app.config["PUBLIC_URL"] == "https://leads.example.com"
