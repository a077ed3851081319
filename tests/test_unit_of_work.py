"""One unit of work per request, job and command, and one error shape on the API.

- No view or service module commits or rolls back (an AST check); the request, the job runner and
  the CLI do, in ``exchange.platform.unit_of_work``.
- A request or a job that fails after writing leaves nothing behind; one that succeeds is stored.
- Every operation of the OpenAPI document, sent bad input (unknown ids, wrong types, no body, a
  method it does not have, no credentials, the other audience's token), answers every 4xx with
  exactly ``{"code", "status", "message", "errors": {field: [messages]}}``.
"""

from __future__ import annotations

import ast
import contextvars
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.http import HTTP_STATUS_CODES

from exchange.accounts import organisations
from exchange.accounts.tokens import issue_token
from exchange.models import JobStatus, Organisation, OutboxJob, Role, TokenScope
from exchange.platform import jobs, unit_of_work
from exchange.platform.errors import DomainError
from exchange.platform.extensions import db
from exchange.platform.jobs import registry, runner
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent

# The packages of views and services: they never end a transaction themselves.
VIEW_AND_SERVICE_PACKAGES = [
    "exchange/web",
    "portal",
    "manufacturer_admin",
    "exchange/accounts",
    "exchange/partners",
    "exchange/leads",
    "exchange/offers",
    "exchange/sla",
    "exchange/notify",
    "exchange/analytics",
]
# Everywhere else, only these end transactions: the unit of work, the job runner, the outbox's relay.
ALLOWED = {
    "exchange/platform/unit_of_work.py",
    "exchange/platform/jobs/runner.py",
    "exchange/platform/jobs/outbox.py",
}


def _transaction_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno} .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("commit", "rollback")
    ]


def test_no_view_or_service_commits_or_rolls_back():
    found = [
        call
        for package in VIEW_AND_SERVICE_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        for call in _transaction_calls(path)
    ]
    assert found == [], "use the request's unit of work (or unit_of_work.checkpoint in a job):\n" + "\n".join(
        found
    )


def test_only_the_unit_of_work_runner_and_outbox_end_transactions():
    found = [
        call
        for package in ("exchange", "portal", "manufacturer_admin")
        for path in sorted((ROOT / package).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in ALLOWED
        for call in _transaction_calls(path)
    ]
    assert found == [], "\n".join(found)


# --- requests ------------------------------------------------------------------------------------------


def _add_org(name: str) -> None:
    organisations.create_manufacturer(name)


def _org_names() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Organisation.name).order_by(Organisation.name)))


@pytest.fixture
def test_routes(app):
    def writes_then_raises():
        _add_org("raised")
        jobs.enqueue("test.never")
        raise RuntimeError("after the write")

    def writes_then_refuses():
        _add_org("refused")
        raise DomainError("Not like this.", field="name", status=409)

    def writes_then_answers(status: int):
        _add_org(f"answered-{status}")
        return {"ok": status < 400}, status

    app.add_url_rule("/api/v1/test/raises", view_func=writes_then_raises, methods=["POST"])
    app.add_url_rule("/api/v1/test/refuses", view_func=writes_then_refuses, methods=["POST"])
    app.add_url_rule("/test/answers/<int:status>", view_func=writes_then_answers, methods=["POST"])
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a server answers 500; the test client would re-raise
    return app


@pytest.fixture
def never_task(monkeypatch):
    monkeypatch.setitem(registry.TASKS, "test.never", f"{__name__}:_never")


def _never():
    raise AssertionError("a job of a rolled-back request ran")


def test_a_request_that_raises_after_a_write_leaves_nothing(test_routes, client, never_task):
    response = client.post("/api/v1/test/raises")
    assert response.status_code == 500
    assert_error_shape(response)
    assert _org_names() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxJob)) == 0


def test_a_refused_request_leaves_nothing_and_answers_in_the_error_shape(test_routes, client):
    response = client.post("/api/v1/test/refuses")
    body = assert_error_shape(response)
    assert body == {
        "code": 409,
        "status": "Conflict",
        "message": "Not like this.",
        "errors": {"name": ["Not like this."]},
    }
    assert _org_names() == []


def test_a_request_commits_when_it_succeeds_and_rolls_back_an_error_answer(test_routes, client):
    assert client.post("/test/answers/201").status_code == 201
    assert client.post("/test/answers/302").status_code == 302
    assert client.post("/test/answers/422").status_code == 422
    assert _org_names() == ["answered-201", "answered-302"]


# --- jobs ---------------------------------------------------------------------------------------------


def writes_then_fails():
    _add_org("from a job")
    raise RuntimeError("the job failed after writing")


def writes_and_returns():
    _add_org("job done")
    return {"written": 1}


def test_a_job_that_raises_is_rolled_back_and_one_that_returns_is_committed(app, monkeypatch):
    monkeypatch.setitem(registry.TASKS, "test.writes_then_fails", f"{__name__}:writes_then_fails")
    monkeypatch.setitem(registry.TASKS, "test.writes_and_returns", f"{__name__}:writes_and_returns")
    failing = jobs.enqueue("test.writes_then_fails", max_attempts=1)
    working = jobs.enqueue("test.writes_and_returns")
    unit_of_work.checkpoint()
    jobs.drain()  # the in-process runner may have taken them already
    for job in (failing, working):
        runner.execute(job.id)
    db.session.expire_all()
    assert _org_names() == ["job done"]
    assert db.session.get(OutboxJob, failing.id).status == JobStatus.FAILED
    assert db.session.get(OutboxJob, working.id).status == JobStatus.DONE


# --- one error shape -------------------------------------------------------------------------------------


def assert_error_shape(response) -> dict:
    """Exactly code, status, message and errors ({field: [messages]})."""
    body = response.get_json()
    assert isinstance(body, dict), (response.status_code, response.get_data(as_text=True)[:300])
    assert set(body) == {"code", "status", "message", "errors"}, body
    assert body["code"] == response.status_code, body
    assert body["status"] == HTTP_STATUS_CODES[response.status_code], body
    assert isinstance(body["message"], str) and body["message"], body
    assert isinstance(body["errors"], dict), body
    for field, messages in body["errors"].items():
        assert isinstance(field, str), body
        assert isinstance(messages, list) and messages, body
        assert all(isinstance(message, str) for message in messages), body
    if response.status_code == 405:
        assert response.headers.get("Allow"), response.headers
    return body


UNKNOWN_ID = "2147483000"
WRONG_TYPES = {
    "string": 12345,
    "integer": "twelve",
    "number": "many",
    "boolean": "perhaps",
    "array": 7,
    "object": 7,
}


@pytest.fixture
def api_tokens(app):
    maker = f.manufacturer()
    partner = f.partner(maker)
    tokens = {
        "maker": issue_token(f.user(maker, Role.MANUFACTURER_ADMIN), "api", TokenScope.READ_WRITE).plaintext,
        "partner": issue_token(f.user(partner, Role.PARTNER_ADMIN), "api", TokenScope.READ_WRITE).plaintext,
    }
    unit_of_work.checkpoint()
    return tokens


def _schema(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _wrong_body(spec: dict, operation: dict) -> dict:
    content = operation["requestBody"]["content"]
    schema = _schema(spec, next(iter(content.values()))["schema"])
    return {
        name: WRONG_TYPES.get(_schema(spec, prop).get("type", "object"), [])
        for name, prop in schema.get("properties", {}).items()
        if not prop.get("readOnly")
    }


def _bad_requests(spec: dict):
    """(method, url, keyword arguments, what is wrong) for every operation of the document."""
    for path, item in spec["paths"].items():
        url = path
        for part in path.split("{")[1:]:
            url = url.replace("{" + part.split("}")[0] + "}", UNKNOWN_ID)
        methods = {m for m in item if m in ("get", "post", "put", "patch", "delete")}
        for method in sorted(methods):
            operation = item[method]
            if "{" in path:
                yield method, url, {"json": {}} if method != "get" else {}, "unknown id"
            if "requestBody" in operation:
                yield method, url, {"json": _wrong_body(spec, operation)}, "wrong types"
                yield method, url, {"json": ["not", "an", "object"]}, "not an object"
                yield method, url, {}, "no body"
                yield method, url, {"data": "{not json", "content_type": "application/json"}, "not JSON"
            queries = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            if queries:
                bad = {
                    p["name"]: WRONG_TYPES.get(_schema(spec, p.get("schema", {})).get("type"), "?")
                    for p in queries
                }
                yield method, url, {"query_string": {k: str(v) for k, v in bad.items()}}, "wrong query types"
        for method in sorted({"get", "post", "put", "patch", "delete"} - methods)[:1]:
            yield method, url, {}, "method not allowed"


def _send(client, method: str, url: str, token: str | None, kwargs: dict):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return contextvars.Context().run(getattr(client, method), url, headers=headers, **kwargs)


def test_every_api_operation_answers_bad_input_in_the_one_error_shape(app, client, api_tokens):
    spec = client.get("/api/openapi.json").get_json()
    checked: dict[int, int] = {}
    for method, url, kwargs, what in _bad_requests(spec):
        own = "partner" if url.startswith("/api/v1/partner") else "maker"
        other = "maker" if own == "partner" else "partner"
        for token, case in (
            (api_tokens[own], what),
            (None, "no credentials"),
            (api_tokens[other], "other role"),
        ):
            response = _send(client, method, url, token, kwargs)
            assert response.status_code < 500, (method, url, case, response.get_data(as_text=True)[:300])
            if response.status_code >= 400:
                try:
                    assert_error_shape(response)
                except AssertionError as error:
                    raise AssertionError(f"{method.upper()} {url} ({case}): {error}") from None
                checked[response.status_code] = checked.get(response.status_code, 0) + 1
    # The walk met the errors it is meant to check.
    assert {400, 401, 403, 404, 405, 422} <= set(checked), checked


def test_validation_errors_name_fields_not_locations(app, client, api_tokens):
    headers = {"Authorization": f"Bearer {api_tokens['partner']}"}
    body = assert_error_shape(client.post("/api/v1/partner/webhooks", json={"url": 5}, headers=headers))
    assert set(body["errors"]) == {"url", "events"}
    query = assert_error_shape(client.get("/api/v1/partner/offers?per_page=many", headers=headers))
    assert set(query["errors"]) == {"per_page"}


def test_a_body_too_large_answers_413_in_the_one_error_shape(client):
    response = client.post(
        "/api/v1/leads", data=b"{" + b" " * (3 * 1024 * 1024) + b"}", content_type="application/json"
    )
    assert response.status_code == 413
    assert_error_shape(response)


@pytest.mark.app_config(RATELIMIT_ENABLED=True, API_TOKEN_FAILURE_LIMIT="2 per minute")
def test_too_many_requests_answer_429_in_the_one_error_shape(client):
    for attempt in range(3):
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer lx_abc_guess{attempt}"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert_error_shape(response)
