"""The SSRF guard: which URLs a feed fetch may go to, and the addresses to connect to.

`check_url` accepts only http(s) URLs whose host resolves (`socket.getaddrinfo`) to
public addresses: a single loopback, private, link-local (169.254.169.254 metadata
included), multicast, reserved, unspecified, shared (100.64.0.0/10) or otherwise
non-global address refuses the URL. IPv6 addresses that embed IPv4 ones (IPv4-mapped,
NAT64, 6to4, Teredo) are judged by the embedded address too. Numeric hosts in the forms
`inet_aton` accepts (decimal `2130706433`, octal `0177.0.0.1`, hex `0x7f.1`, short
`127.1`) are decoded by us before any resolver sees them; `localhost` and `*.localhost`
are refused by name, trailing dot or not. `allow_private=True`
(`FORUM_ALLOW_PRIVATE_FEEDS=1`, for tests and local use only) lifts the address rules,
never the scheme rule.

DNS resolution (`getaddrinfo`, which has no timeout of its own) runs in a thread of its
own and is waited for until the fetch's deadline. `vet` answers the checked addresses,
which `fetch.py` connects to without resolving the name again (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from forum.intelligence.fetch_deadline import DEFAULT_DEADLINE, Deadline, FetchFailed

ALLOW_PRIVATE_ENV = "FORUM_ALLOW_PRIVATE_FEEDS"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_SHARED_V4 = ipaddress.IPv4Network("100.64.0.0/10")
_EXTRA_V4 = (
    ipaddress.IPv4Network("0.0.0.0/8"),
    ipaddress.IPv4Network("192.0.0.0/24"),
    ipaddress.IPv4Network("198.18.0.0/15"),
    ipaddress.IPv4Network("240.0.0.0/4"),
)
_NAT64_V6 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_NUMERIC_LABEL = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")
_HOST_CHARS = re.compile(r"^[A-Za-z0-9.\-_]+$")


class FetchRefused(Exception):
    """The URL may not be fetched (scheme, or an address we refuse); the message says why."""


@dataclass(frozen=True)
class Target:
    url: httpx.URL
    host: str  # as in the URL, lower case, without brackets or trailing dot
    is_ip_literal: bool
    addresses: tuple[IPAddress, ...]


def private_feeds_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """True when FORUM_ALLOW_PRIVATE_FEEDS=1 (tests and local use only)."""
    env = os.environ if environ is None else environ
    return env.get(ALLOW_PRIVATE_ENV, "").strip() == "1"


def _refusal_reason(ip: IPAddress) -> str | None:
    """Why this address must not be fetched from, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: list[ipaddress.IPv4Address] = []
        if ip.ipv4_mapped is not None:
            embedded.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            embedded.append(ip.sixtofour)
        if ip.teredo is not None:
            embedded.extend(ip.teredo)
        if any(ip in net for net in _NAT64_V6):
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        for inner in embedded:
            reason = _refusal_reason(inner)
            if reason is not None:
                return f"{reason} (embedded in {ip})"
        if ip.is_site_local:
            return "site-local"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address) and (
        ip in _SHARED_V4 or any(ip in net for net in _EXTRA_V4)
    ):
        return "reserved or shared"
    if ip.is_private:
        return "private"
    if ip.is_reserved:
        return "reserved"
    if not ip.is_global:
        return "not globally routable"
    return None


def _parse_numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Decode the numeric host forms inet_aton accepts (127.1, 0177.0.0.1, 0x7f.1, 2130706433).

    Returns None when `host` is not numeric; raises FetchRefused when it looks
    numeric but is malformed (a resolver might still make something of it).
    """
    labels = host.split(".")
    if not labels or not _NUMERIC_LABEL.match(labels[-1]):
        return None
    if len(labels) > 4 or not all(_NUMERIC_LABEL.match(label) for label in labels):
        raise FetchRefused(f"malformed numeric host {host!r}")
    try:
        parts = [
            int(label, 16)
            if label[:2].lower() == "0x"
            else int(label, 8 if len(label) > 1 and label[0] == "0" else 10)
            for label in labels
        ]
    except ValueError:
        raise FetchRefused(f"malformed numeric host {host!r}") from None
    *head, last = parts
    if any(p > 255 for p in head) or last >= 256 ** (4 - len(head)):
        raise FetchRefused(f"numeric host out of range {host!r}")
    value = 0
    for p in head:
        value = value << 8 | p
    value = value << (8 * (4 - len(head))) | last
    return ipaddress.IPv4Address(value)


def _resolve(host: str, port: int, deadline: Deadline) -> tuple[IPAddress, ...]:
    """The host's addresses, looked up in a thread of its own and waited for until the
    deadline (getaddrinfo has no timeout): a hanging resolver is left behind, not waited
    for. Raises FetchTimedOut, or FetchFailed when the name does not resolve."""
    answer: list[list[Any] | BaseException] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            answer.append(
                socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
            )
        except BaseException as exc:  # handed to the waiting thread
            answer.append(exc)
        finally:
            done.set()

    threading.Thread(target=lookup, name=f"resolve {host}", daemon=True).start()
    if not done.wait(max(deadline.left(), 0.0)):
        raise deadline.expired(f"resolving {host!r}")
    infos = answer[0]
    if isinstance(infos, UnicodeError | OSError):  # socket.gaierror is an OSError
        raise FetchFailed(f"cannot resolve {host!r}: {infos}") from infos
    if isinstance(infos, BaseException):
        raise infos
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        try:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        except ValueError:
            continue  # not an IP socket address
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise FetchFailed(f"{host!r} has no IPv4 or IPv6 address")
    return tuple(addresses)


def vet(url: str, *, allow_private: bool, deadline: Deadline) -> Target:
    """Check `url` and return where to connect; raises FetchRefused or FetchFailed."""
    if not url.strip():
        raise FetchRefused("empty URL")
    if any(ord(c) < 0x21 or c in "\\" for c in url.strip()):
        raise FetchRefused("URL contains whitespace, control characters or backslashes")
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchRefused(f"only http and https feeds are fetched, not {scheme or 'no scheme'!r}")
    try:
        raw_host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FetchRefused(f"malformed URL: {exc}") from exc
    if not raw_host:
        raise FetchRefused("URL has no host")
    host = raw_host.lower()
    if "%" in host:
        raise FetchRefused("IPv6 zone identifiers are not allowed")

    literal: IPAddress | None = None
    if ":" in host:
        try:
            literal = ipaddress.IPv6Address(host)
        except ValueError:
            raise FetchRefused(f"malformed IPv6 host {host!r}") from None
        name = host
    else:
        name = host[:-1] if host.endswith(".") else host
        if not name.isascii():
            try:
                name = name.encode("idna").decode("ascii")
            except UnicodeError:
                raise FetchRefused(f"malformed host name {raw_host!r}") from None
        if not name or not _HOST_CHARS.match(name) or ".." in name:
            raise FetchRefused(f"malformed host name {raw_host!r}")
        if (name == "localhost" or name.endswith(".localhost")) and not allow_private:
            raise FetchRefused(f"{raw_host!r} is a loopback name")
        literal = _parse_numeric_ipv4(name)

    # httpx must see the same host we checked, or the pinning below means nothing.
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        if literal is not None and not allow_private and _refusal_reason(literal):
            raise FetchRefused(f"{raw_host!r} is {_refusal_reason(literal)} ({literal})") from exc
        raise FetchRefused(f"malformed URL: {exc}") from exc
    httpx_host = parsed.host.lower().rstrip(".") if ":" not in parsed.host else parsed.host.lower()
    if httpx_host != name and not (literal is not None and httpx_host == str(literal)):
        raise FetchRefused(f"ambiguous URL: host {raw_host!r} vs {parsed.host!r}")

    addresses = (literal,) if literal is not None else _resolve(name, port, deadline)
    if not allow_private:
        for ip in addresses:
            reason = _refusal_reason(ip)
            if reason is not None:
                raise FetchRefused(f"{raw_host!r} resolves to {ip}, a {reason} address")
    return Target(url=parsed, host=name, is_ip_literal=literal is not None, addresses=addresses)


def check_url(url: str, *, allow_private: bool, timeout: float = DEFAULT_DEADLINE) -> None:
    """Raise FetchRefused unless `url` is http(s) and resolves only to public addresses.

    Raises FetchFailed when the host does not resolve at all, FetchTimedOut when it
    does not within `timeout` seconds.
    """
    vet(url, allow_private=allow_private, deadline=Deadline.start(timeout))
