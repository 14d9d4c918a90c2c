"""Fetching feeds over HTTP(S) without becoming a tool against our own network.

`fetch_feed` downloads one feed with httpx: one deadline for the whole fetch (10 s by
default, `FORUM_FETCH_DEADLINE`), a 5 MB cap on the decoded body, conditional GET (ETag
and Last-Modified) and at most 5 redirects, followed by hand.

The deadline. httpx's timeouts are per operation: a server sending a header line every
second never trips a 10 s read timeout. So every step of the fetch gets only the time
left: DNS resolution (`getaddrinfo`, which has no timeout of its own, runs in a thread
of its own and is waited for until the deadline), and each socket operation (connect,
TLS handshake, every read and write) through a network backend that caps the
operation's timeout at the time left. Past the deadline the fetch raises
`FetchTimedOut`. A transport passed in (tests) keeps its own sockets; the time left is
still given as the request's timeout and checked between body chunks.

SSRF guard. `check_url` accepts only http(s) URLs whose host resolves
(`socket.getaddrinfo`) to public addresses: a single loopback, private, link-local
(169.254.169.254 metadata included), multicast, reserved, unspecified, shared
(100.64.0.0/10) or otherwise non-global address refuses the URL. IPv6 addresses
that embed IPv4 ones (IPv4-mapped, NAT64, 6to4, Teredo) are judged by the embedded
address too. Numeric hosts in the forms `inet_aton` accepts (decimal `2130706433`,
octal `0177.0.0.1`, hex `0x7f.1`, short `127.1`) are decoded by us before any
resolver sees them; `localhost` and `*.localhost` are refused by name, trailing dot
or not. `allow_private=True` (`FORUM_ALLOW_PRIVATE_FEEDS=1`, for tests and local
use only) lifts the address rules, never the scheme rule.

Every redirect hop is checked again before it is requested.

DNS rebinding. A name could resolve to a public address when checked and to
127.0.0.1 when the HTTP library resolves it again. So we never let httpx resolve:
each hop is requested at the checked IP address itself (the URL's host is replaced
by it), with the original `Host` header and, for HTTPS, the original name as SNI
and for certificate verification (httpcore's `sni_hostname` extension). What was
checked is therefore what is connected to. Limits: a lookup still running at the
deadline is left to finish in its thread (the system resolver's own timeout ends it);
environment proxies are ignored
(`trust_env=False`) since a proxy would resolve the name itself; we try the checked
addresses in order on connection errors but do no Happy Eyeballs; a transport passed
in is closed with the client at the end of the fetch.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import ssl
import threading
import time
import urllib.parse
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

USER_AGENT = "ClusterForum-FeedFetcher/0.1 (+https://github.com/cluster-forum; feed reader)"
MAX_REDIRECTS = 5
DEFAULT_DEADLINE = 10.0  # seconds for a whole fetch: FORUM_FETCH_DEADLINE
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
ALLOW_PRIVATE_ENV = "FORUM_ALLOW_PRIVATE_FEEDS"

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)

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


class FetchFailed(Exception):
    """The fetch was allowed but did not succeed (network, HTTP status, size, time)."""


class FetchTimedOut(FetchFailed):
    """The fetch's deadline passed (resolving, connecting, waiting or reading)."""


@dataclass(frozen=True)
class _Deadline:
    """The moment (time.monotonic) by which a whole fetch must be done."""

    seconds: float
    at: float

    @classmethod
    def start(cls, seconds: float) -> _Deadline:
        return cls(seconds, time.monotonic() + seconds)

    def left(self) -> float:
        return self.at - time.monotonic()

    def expired(self, doing: str) -> FetchTimedOut:
        return FetchTimedOut(f"timed out after {self.seconds:g} s (the fetch deadline) {doing}")

    def cap(self, timeout: float | None, timed_out: type[Exception]) -> float:
        """`timeout` cut to the time left; raises `timed_out` when none is left."""
        left = self.left()
        if left <= 0:
            raise timed_out("the fetch deadline has passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every operation waits at most until the fetch's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: _Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._deadline.cap(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.cap(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, timeout), self._deadline
        )

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own socket backend, its connections bounded by the fetch's deadline."""

    def __init__(self, deadline: _Deadline) -> None:
        self._inner = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.cap(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport, on sockets bounded by the fetch's deadline."""

    def __init__(self, deadline: _Deadline, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        # httpx offers no way to give its pool a network backend: replace the pool it
        # built by the same one (httpx's defaults) with ours. The deadline tests fail
        # if a new httpx stops using `_pool`.
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(deadline),
        )


@dataclass(frozen=True)
class FetchResult:
    status: int
    body: bytes | None  # None on 304 Not Modified
    etag: str | None
    last_modified: str | None
    final_url: str
    content_type: str | None


@dataclass(frozen=True)
class _Target:
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


def _resolve(host: str, port: int, deadline: _Deadline) -> tuple[IPAddress, ...]:
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


def _vet(url: str, *, allow_private: bool, deadline: _Deadline) -> _Target:
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
    return _Target(url=parsed, host=name, is_ip_literal=literal is not None, addresses=addresses)


def check_url(url: str, *, allow_private: bool, timeout: float = DEFAULT_DEADLINE) -> None:
    """Raise FetchRefused unless `url` is http(s) and resolves only to public addresses.

    Raises FetchFailed when the host does not resolve at all, FetchTimedOut when it
    does not within `timeout` seconds.
    """
    _vet(url, allow_private=allow_private, deadline=_Deadline.start(timeout))


def _read_capped(
    chunks: Iterator[bytes], content_encoding: str, max_bytes: int, deadline: _Deadline, url: str
) -> bytes:
    """Read and decode the body, failing past `max_bytes` (decoded) or the deadline."""
    encoding = content_encoding.strip().lower()
    decoder: zlib._Decompress | None
    if encoding in ("", "identity"):
        decoder = None
    elif encoding in ("gzip", "x-gzip", "deflate"):
        decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header
    else:
        raise FetchFailed(f"unsupported Content-Encoding {content_encoding!r}")
    out = bytearray()
    raw_total = 0
    too_big = FetchFailed(f"feed is larger than {max_bytes} bytes")
    for chunk in chunks:
        if deadline.left() <= 0:
            raise deadline.expired(f"reading {url}")
        raw_total += len(chunk)
        if raw_total > max_bytes:
            raise too_big
        if decoder is None:
            out += chunk
        else:
            data = chunk
            try:
                while data:
                    out += decoder.decompress(data, max_bytes + 1 - len(out))
                    if len(out) > max_bytes:
                        raise too_big
                    data = decoder.unconsumed_tail
            except zlib.error as exc:
                raise FetchFailed(f"corrupt {encoding} body: {exc}") from exc
        if len(out) > max_bytes:
            raise too_big
    if decoder is not None:
        try:
            out += decoder.flush()
        except zlib.error as exc:
            raise FetchFailed(f"corrupt {encoding} body: {exc}") from exc
        if len(out) > max_bytes:
            raise too_big
    return bytes(out)


def _send_pinned(
    client: httpx.Client, target: _Target, headers: Mapping[str, str], deadline: _Deadline
) -> httpx.Response:
    """Request `target` at one of its checked addresses, never re-resolving its name."""
    last_error: httpx.TransportError | None = None
    for ip in target.addresses:
        left = deadline.left()
        if left <= 0:
            raise deadline.expired(f"connecting to {target.url}")
        extensions: dict[str, str] = {}
        if target.url.scheme == "https" and not target.is_ip_literal:
            extensions["sni_hostname"] = target.host
        host_header = target.url.netloc.decode("ascii")
        request = client.build_request(
            "GET",
            target.url.copy_with(host=str(ip)),
            headers={**headers, "Host": host_header},
            extensions=extensions,
            timeout=httpx.Timeout(left),
        )
        try:
            return client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise deadline.expired(f"fetching {target.url}") from exc
        except httpx.ConnectError as exc:
            last_error = exc
            continue
        except httpx.HTTPError as exc:
            raise FetchFailed(f"error fetching {target.url}: {exc!r}") from exc
    raise FetchFailed(f"cannot connect to {target.url.host}: {last_error}")


def fetch_feed(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    allow_private: bool = False,
    timeout: float = DEFAULT_DEADLINE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    transport: httpx.BaseTransport | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> FetchResult:
    """Fetch one feed within `timeout` seconds in all; see the module docstring for the
    rules it keeps. `ssl_context` saves building one (reading the CA bundle) per fetch.

    Raises FetchRefused, FetchTimedOut or FetchFailed.
    """
    deadline = _Deadline.start(timeout)
    if transport is None:
        transport = _DeadlineTransport(deadline, ssl_context or httpx.create_ssl_context())
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": _ACCEPT,
        "Accept-Encoding": "gzip, deflate",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    with httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    ) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            if deadline.left() <= 0:
                raise deadline.expired(f"fetching {current}")
            target = _vet(current, allow_private=allow_private, deadline=deadline)
            response = _send_pinned(client, target, headers, deadline)
            try:
                status = response.status_code
                if status in _REDIRECT_STATUSES:
                    location = response.headers.get("location", "").strip()
                    if not location:
                        raise FetchFailed(f"HTTP {status} redirect without a Location")
                    current = urllib.parse.urljoin(str(target.url), location)
                    continue
                final_url = str(target.url)
                new_etag = response.headers.get("etag")
                new_modified = response.headers.get("last-modified")
                content_type = response.headers.get("content-type")
                if status == 304:
                    return FetchResult(
                        304, None, new_etag or etag, new_modified or last_modified, final_url,
                        content_type,
                    )  # fmt: skip
                if not 200 <= status < 300:
                    raise FetchFailed(f"HTTP {status} from {final_url}")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise FetchFailed(
                        f"feed is larger than {max_bytes} bytes ({declared} declared)"
                    )
                try:
                    if response.is_stream_consumed:  # a transport that answered in full
                        body = _read_capped(
                            iter([response.content]), "", max_bytes, deadline, final_url
                        )
                    else:
                        body = _read_capped(
                            response.iter_raw(),
                            response.headers.get("content-encoding", ""),
                            max_bytes,
                            deadline,
                            final_url,
                        )
                except httpx.TimeoutException as exc:
                    raise deadline.expired(f"reading {final_url}") from exc
                except httpx.HTTPError as exc:
                    raise FetchFailed(f"error reading {final_url}: {exc!r}") from exc
                return FetchResult(status, body, new_etag, new_modified, final_url, content_type)
            finally:
                response.close()
    raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")
