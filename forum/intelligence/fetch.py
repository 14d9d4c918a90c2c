"""Fetching feeds over HTTP(S) without becoming a tool against our own network.

`fetch_feed` downloads one feed with httpx: one deadline for the whole fetch (10 s by
default, `FORUM_FETCH_DEADLINE`; `fetch_deadline.py`), a 5 MB cap on the decoded body,
conditional GET (ETag and Last-Modified) and at most 5 redirects, followed by hand.
Every hop is checked by the SSRF guard (`fetch_guard.py`) before it is requested.
A transport passed in (tests) keeps its own sockets; the time left is still given as
the request's timeout and checked between body chunks.

DNS rebinding. A name could resolve to a public address when checked and to
127.0.0.1 when the HTTP library resolves it again. So we never let httpx resolve:
each hop is requested at the checked IP address itself (the URL's host is replaced
by it), with the original `Host` header and, for HTTPS, the original name as SNI
and for certificate verification (httpcore's `sni_hostname` extension). What was
checked is therefore what is connected to. Limits: a lookup still running at the
deadline is left to finish in its thread (the system resolver's own timeout ends it);
environment proxies are ignored (`trust_env=False`) since a proxy would resolve the name itself; we try the checked
addresses in order on connection errors but do no Happy Eyeballs; a transport passed
in is closed with the client at the end of the fetch.
"""

from __future__ import annotations

import ssl
import urllib.parse
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import httpx

from forum.intelligence.fetch_deadline import (
    DEFAULT_DEADLINE,
    Deadline,
    DeadlineTransport,
    FetchFailed,
)
from forum.intelligence.fetch_guard import Target, vet

USER_AGENT = "ClusterForum-FeedFetcher/0.1 (+https://github.com/cluster-forum; feed reader)"
MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 5 * 1024 * 1024

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


@dataclass(frozen=True)
class FetchResult:
    status: int
    body: bytes | None  # None on 304 Not Modified
    etag: str | None
    last_modified: str | None
    final_url: str
    content_type: str | None


def _read_capped(
    chunks: Iterator[bytes], content_encoding: str, max_bytes: int, deadline: Deadline, url: str
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
    client: httpx.Client, target: Target, headers: Mapping[str, str], deadline: Deadline
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
    deadline = Deadline.start(timeout)
    if transport is None:
        transport = DeadlineTransport(deadline, ssl_context or httpx.create_ssl_context())
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
            target = vet(current, allow_private=allow_private, deadline=deadline)
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
