"""Where a webhook may point: HTTPS to a public address, checked when a URL is saved and again before
each send (a name can be pointed elsewhere later; the sender connects to the address checked here)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exchange.platform.errors import DomainError

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def localhost_allowed() -> bool:
    """Plain http and loopback addresses only for local development and tests."""
    return bool(current_app.testing or current_app.config.get("WEBHOOK_ALLOW_HTTP_LOCALHOST"))


def validate_endpoint_url(url: str) -> str:
    """The URL, stripped, if a webhook may point there; :class:`DomainError` on ``url`` otherwise."""
    url = (url or "").strip()
    if not url:
        raise DomainError(_("Enter the URL of your endpoint."), field="url")
    if len(url) > 500:
        raise DomainError(_("The URL is longer than 500 characters."), field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DomainError(_("This is not a valid URL."), field="url") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise DomainError(_("The URL must start with https:// and name a host."), field="url")
    if parts.username or parts.password:
        raise DomainError(_("Leave credentials out of the URL: deliveries are signed instead."), field="url")
    if parts.fragment:
        raise DomainError(_("The URL may not contain a fragment (#…)."), field="url")
    if port == 0:
        raise DomainError(_("This is not a valid URL."), field="url")
    local = host in LOCAL_HOSTS and localhost_allowed()
    if parts.scheme == "http" and not local:
        raise DomainError(_("Webhooks are delivered over HTTPS only: use an https:// URL."), field="url")
    # A name that resolves now must resolve to public addresses; one that does not yet is checked at send.
    try:
        addresses = [] if local else resolve_host(host, port or 443)
    except OSError:
        addresses = []
    refusal = destination_refusal(host, addresses)
    if refusal is not None:
        raise DomainError(str(REFUSALS[refusal[0]]), field="url")
    return url


# Loopback by name (besides LOCAL_HOSTS): /etc/hosts aliases and the reserved .localhost domain.
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
REFUSALS = {
    "this_machine": _l("Webhooks cannot be delivered to this machine."),
    "private": _l("Webhooks cannot be delivered to private or reserved addresses."),
    "raw_address": _l("Name the endpoint's host: webhooks are not delivered to a bare IP address."),
}


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an IP address if it is one in any notation a resolver takes for one: the usual
    forms, ``[::1]``, and the shorthand, decimal, hex and octal IPv4 forms (``127.1``, ``2130706433``,
    ``0x7f000001``) that would otherwise pass for names."""
    bare = host.strip("[]").split("%")[0]
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(bare))
    except OSError:
        return None


def destination_refusal(host: str, addresses: list[str]) -> tuple[str, str] | None:
    """The one rule for where a delivery may go, applied when a URL is saved and again before each
    send (a name can be pointed elsewhere later): None if allowed, else (reason code, detail).
    ``addresses`` are what ``host`` resolves to (empty if it was not resolved)."""
    name = host.lower().rstrip(".")
    if name in LOCAL_HOSTS and localhost_allowed():
        return None  # development and tests only, and only by these exact names
    if name in LOOPBACK_NAMES or name.endswith(".localhost") or name in LOCAL_HOSTS:
        return ("this_machine", f"{host} is this machine")
    literal = literal_address(name)
    if literal is not None:
        if literal.is_loopback or literal.is_unspecified:
            return ("this_machine", f"{host} is this machine")
        if not literal.is_global:
            return ("private", f"{host} is not a public address")
        return ("raw_address", f"{host} is a bare IP address")
    for address in addresses:
        found = literal_address(address)
        if found is None or not found.is_global:
            return ("private", f"{host} resolves to {address}, which is not a public address")
    return None


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (tests replace this; the sandbox has no DNS)."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})


class DestinationRefused(Exception):
    """The endpoint's host resolves to an address deliveries may not reach."""


def check_destination(url: str) -> str | None:
    """Resolve the endpoint's host once and check every address (:func:`destination_refusal`);
    the address to connect to, which the sender must use instead of resolving the name again (a
    second lookup could answer differently: DNS rebinding). None for the local names development
    and tests allow, which are connected to as they are."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in LOCAL_HOSTS and localhost_allowed():
        return None
    if literal_address(host) is not None:
        addresses: list[str] = []
    else:
        try:
            addresses = resolve_host(host, parts.port or (443 if parts.scheme == "https" else 80))
        except OSError as error:
            raise DestinationRefused(f"cannot resolve {host}: {error}") from None
        if not addresses:
            raise DestinationRefused(f"{host} has no address")
    refusal = destination_refusal(host, addresses)
    if refusal is not None:
        raise DestinationRefused(refusal[1])
    return addresses[0]
