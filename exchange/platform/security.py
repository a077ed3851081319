"""Request hardening: body size limits, safe redirects, rate limits and lockouts, response headers.

:func:`init_app` runs before CSRF protection is bound, so a request's size limit is set (and an
oversized body refused with 413) before anything parses the form.

Rate limits use Flask-Limiter: Redis storage when ``REDIS_URL`` is set (shared by every web process),
memory in the embedded default. Per address (the client's IP) on the sign-in, password-reset and
choose-password forms and on failed API bearer tokens; per account on top: after
``LOGIN_LOCKOUT_ATTEMPTS`` failed sign-ins an address is locked for ``LOGIN_LOCKOUT_MINUTES``
(whether or not the account exists, so the lock says nothing about who has one), until the
organisation's admin lifts it on the team page. ``RATELIMIT_ENABLED=False`` turns all of it off.
"""

from __future__ import annotations

import math
import time
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from werkzeug.exceptions import RequestEntityTooLarge, TooManyRequests

limiter = Limiter(key_func=get_remote_address)

# --- safe redirects ---------------------------------------------------------------------------------


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None. The one check for every ``next``.

    Refused: absolute URLs (``https://…``, ``javascript:…``), scheme-relative ``//host``, ``/\\host``
    (browsers read a backslash as a slash), and any control character (a newline would end up in
    the ``Location`` header)."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target) or "\\" in target:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


# --- request size -----------------------------------------------------------------------------------

# Endpoints that accept a larger body, with the config key holding their limit.
LARGE_BODY_ENDPOINTS = {
    "manage.imports": "LEAD_IMPORT_MAX_BYTES",
    "api_leads.LeadBatch": "API_BATCH_MAX_BYTES",  # up to 1,000 leads in one JSON body
}


def _limit_request_size() -> None:
    """Set this request's body limit and refuse a declared length over it before reading a byte.
    A chunked body without a length is cut off by Werkzeug at the same limit while it is read."""
    key = LARGE_BODY_ENDPOINTS.get(request.endpoint or "")
    limit = current_app.config[key] if key else current_app.config["MAX_CONTENT_LENGTH"]
    if not limit:
        return
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(1, limit // 1024)} KB"
        raise RequestEntityTooLarge(
            description=_("The file is larger than %(size)s; split it into several files.", size=size)
            if key
            else _("The request is larger than %(size)s.", size=size)
        )


# --- rate limits and lockouts -----------------------------------------------------------------------


def enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED")) and limiter.initialized and limiter.enabled


def config_limit(key: str):
    """A limit string read from the config when the request runs (so tests and deployments change it)."""
    return lambda: current_app.config[key]


def form_email() -> str:
    from exchange.accounts.sessions import normalise_email

    return "email:" + normalise_email(request.form.get("email") or "")


def _lockout_item() -> RateLimitItem:
    config = current_app.config
    return parse(f"{config['LOGIN_LOCKOUT_ATTEMPTS']} per {config['LOGIN_LOCKOUT_MINUTES']} minutes")


def _bearer_item() -> RateLimitItem:
    return parse(current_app.config["API_TOKEN_FAILURE_LIMIT"])


def _account_key(email: str) -> str:
    from exchange.accounts.sessions import normalise_email

    return normalise_email(email or "")


# Failure counters in the limiter's storage. When the storage is unreachable (Redis down) they fail
# open with a warning: signing in keeps working, without the lock, rather than answering 500.


def _retry_after(item: RateLimitItem, namespace: str, key: str) -> int | None:
    """Seconds until the counter ``namespace/key`` is under ``item`` again; None when it is."""
    if not enabled():
        return None
    try:
        if limiter.limiter.test(item, namespace, key):
            return None
        reset_at, _remaining = limiter.limiter.get_window_stats(item, namespace, key)
    except Exception as error:  # noqa: BLE001 - storage down: fail open
        current_app.logger.warning("rate-limit storage unreachable (%s): %s not checked", error, namespace)
        return None
    return max(1, math.ceil(reset_at - time.time()))


def _count_failure(item: RateLimitItem, namespace: str, key: str) -> bool:
    """Count one failure; True when this one reached the limit."""
    if not enabled():
        return False
    try:
        limiter.limiter.hit(item, namespace, key)
        return not limiter.limiter.test(item, namespace, key)
    except Exception as error:  # noqa: BLE001 - storage down: fail open
        current_app.logger.warning("rate-limit storage unreachable (%s): %s not counted", error, namespace)
        return False


def lockout_retry_after(email: str) -> int | None:
    """Seconds until the account's sign-in lock ends, or None when it is not locked."""
    return _retry_after(_lockout_item(), "login-lockout", _account_key(email))


def is_locked(email: str) -> bool:
    return lockout_retry_after(email) is not None


def record_failed_login(email: str) -> None:
    """Count a failed sign-in against the account; log when it locks."""
    key = _account_key(email)
    if _count_failure(_lockout_item(), "login-lockout", key):
        current_app.logger.warning(
            "sign-in locked for %s after %d failures (last from %s)",
            key,
            current_app.config["LOGIN_LOCKOUT_ATTEMPTS"],
            get_remote_address(),
        )


def clear_failed_logins(email: str) -> None:
    if not enabled():
        return
    try:
        limiter.limiter.clear(_lockout_item(), "login-lockout", _account_key(email))
    except Exception as error:  # noqa: BLE001 - storage down: nothing to clear there now
        current_app.logger.warning("rate-limit storage unreachable (%s): lock not cleared", error)


def check_bearer_failures() -> None:
    """Refuse an address that sent too many unknown API tokens (429 with ``Retry-After``)."""
    retry_after = _retry_after(_bearer_item(), "bearer-failures", get_remote_address())
    if retry_after is not None:
        raise TooManyRequests(retry_after=retry_after)


def record_bearer_failure() -> None:
    address = get_remote_address()
    if _count_failure(_bearer_item(), "bearer-failures", address):
        current_app.logger.warning("API token guessing from %s: refused for a while", address)


def _too_many_requests(error: RateLimitExceeded) -> Any:
    """Flask-Limiter's 429, answered like any other error (JSON on the API), with ``Retry-After``."""
    from exchange.web.errors import handle_http_exception

    current_limit = limiter.current_limit
    retry = max(1, math.ceil(current_limit.reset_at - time.time())) if current_limit else 60
    current_app.logger.warning(
        "rate limit %s hit by %s on %s %s",
        error.description,
        get_remote_address(),
        request.method,
        request.path,
    )
    if request.endpoint == "auth.login":
        from exchange.web.auth.views import rate_limited_login  # the auth blueprint imports this module

        return rate_limited_login(retry)
    return handle_http_exception(TooManyRequests(retry_after=retry))


# --- response headers -------------------------------------------------------------------------------

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Bootstrap and a few templates set style attributes (progress bars); no inline script.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


CACHEABLE_ENDPOINTS = frozenset({"static", "bootstrap.static", "api_docs_assets.static"})


def no_store(response):
    """Keep the response out of every cache (contact details, secrets shown once)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    config = current_app.config
    hsts = config["HSTS_ENABLED"]
    if hsts is None:  # default: on in production, off while debugging or testing
        hsts = config["ENV_NAME"] == "production" and not current_app.debug and not current_app.testing
    if hsts:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={config['HSTS_MAX_AGE']}; includeSubDomains"
        )
    # Pages, exports and API answers are personal (contact details, tokens shown once): never kept
    # by a browser or proxy cache. Static files may be cached.
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        no_store(response)
    return response


def init_app(app: Flask) -> None:
    """Call before ``csrf.init_app``: hooks run in the order they are registered."""
    app.before_request(_limit_request_size)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind N reverse proxies: the client address (per-address limits) and scheme come from
        # the X-Forwarded-For / -Proto headers those proxies set.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    app.after_request(_security_headers)
