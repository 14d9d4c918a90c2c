"""The SSRF corpus: hostile feed URLs are refused by the feed fetcher's guard with the
guard on (`allow_private=False`, the production setting), before any connection.

Nothing here connects anywhere but the loopback server this module starts: every
fetch gets a transport that records requests, and the redirect test reaches the
loopback server only through a transport that maps one public test address to it, so
the guard judges the public address and then the internal redirect target.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from forum.intelligence import harvest
from forum.intelligence.feed_admin import FeedSettingsError, check_feed_url
from forum.intelligence.fetch import fetch_feed
from forum.intelligence.fetch_guard import FetchRefused, check_url, private_feeds_allowed
from forum.intelligence.models import Feed

HOSTILE = [
    # loopback in every spelling
    "http://127.0.0.1/feed.xml",
    "http://127.0.0.2:8080/",
    "http://127.255.255.254/",
    "http://localhost/",
    "http://localhost./feed",
    "http://LocalHost:8000/",
    "http://a.b.localhost/",
    "http://[::1]:8000/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]/",
    # decimal, octal, hex and short numeric forms
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7F.0x0.0x0.0x1/",
    "http://0177.0.0.01/",
    "http://00000177.0.0.1/",
    "http://127.1/",
    "http://127.0.1/",
    "http://0x7f.1/",
    "http://3232235521/",  # 192.168.0.1
    "http://167772161/",  # 10.0.0.1
    "http://012.0.0.1/",  # 10.0.0.1 in octal
    "http://0xa9fea9fe/",  # 169.254.169.254
    "http://0251.0376.0251.0376/",  # 169.254.169.254 in octal
    "http://2852039166/latest/meta-data/",
    # unspecified
    "http://0.0.0.0/",
    "http://0.0.0.0:22/",
    "http://0/",
    "http://[::]/",
    "http://[0:0:0:0:0:0:0:0]/",
    # private ranges
    "http://10.0.0.1/",
    "http://10.10.10.10:5432/",
    "http://172.16.0.1/",
    "http://172.20.5.5/",
    "http://172.31.255.255/",
    "http://192.168.0.1/",
    "http://192.168.255.254/admin",
    "http://[fc00::1]/",
    "http://[fdff:ffff::1]/",
    "http://[fec0::1]/",  # site-local
    "http://[::ffff:10.1.2.3]/",
    "http://[::ffff:c0a8:1]/",  # 192.168.0.1
    "http://[64:ff9b::c0a8:1]/",  # NAT64 of 192.168.0.1
    "http://[2002:c0a8:1::]/",  # 6to4 of 192.168.0.1
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo: client 192.0.2.45
    # link-local and cloud metadata
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://169.254.169.254/computeMetadata/v1/",
    "http://169.254.170.2/v2/credentials",
    "http://[fe80::a9fe:a9fe]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",  # shared address space (Alibaba metadata)
    "http://100.64.0.1/",
    # multicast, broadcast, reserved, benchmarking
    "http://224.0.0.251/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    "http://198.18.0.1/",
    "http://192.0.0.1/",
    "http://[ff02::1]/",
    # credentials and tricks in the authority
    "http://feeds.example.eu@127.0.0.1/",
    "http://127.0.0.1#@feeds.example.eu/",
    "http://127.0.0.1:80\\@feeds.example.eu/",
    "http://[::1]#.feeds.example.eu/",
    " http://127.0.0.1/",
    "http://127.0.0.1\t/",
    "http://127.0.0.1\r\nHost: evil/",
    "http://[fe80::1%25lo]/",
    # IPv4-compatible, SIIT, NAT64 local-use, documentation and discard IPv6 ranges
    "http://[::127.0.0.1]/",
    "http://[::ffff:0:127.0.0.1]/",
    "http://[64:ff9b:1::7f00:1]/",
    "http://[2001:db8::1]/",
    "http://[100::1]/",
    # unicode digits, ideographic dots and letters that normalise to loopback
    "http://\u2460\u2461\u2466.\u24ea.\u24ea.\u2460/",
    "http://127\u30020\u30020\u30021/",
    "http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/",
    "http://LOCALHOST\u3002/",
    "http://localhost%00.example.eu/",
    "http://127.000.000.001/",
    "http://127.0.0.1:65536/",
    # non-http schemes
    "file:///etc/passwd",
    "file://localhost/etc/shadow",
    "FILE:///proc/self/environ",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "ftp://ftp.example.eu/feed.xml",
    "ftp://127.0.0.1/",
    "dict://127.0.0.1:11211/stats",
    "ldap://127.0.0.1/",
    "sftp://example.eu/feed",
    "tftp://example.eu/feed",
    "jar:http://example.eu/x.jar!/",
    "netdoc:///etc/passwd",
    "data:application/rss+xml,<rss/>",
    "javascript:alert(1)",
    "feed:http://127.0.0.1/",
    "//127.0.0.1/feed.xml",
    "127.0.0.1/feed.xml",
]


class _NoNetwork(httpx.BaseTransport):
    """A transport that fails the test if the fetcher ever tries to send a request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        raise AssertionError(f"the guard let a request through: {request.url}")


def test_the_corpus_has_at_least_thirty_distinct_urls() -> None:
    assert len(set(HOSTILE)) == len(HOSTILE) >= 30


@pytest.mark.parametrize("url", HOSTILE)
def test_each_hostile_url_is_refused_before_any_request(url: str) -> None:
    with pytest.raises(FetchRefused):
        check_url(url, allow_private=False)
    transport = _NoNetwork()
    with pytest.raises(FetchRefused):
        fetch_feed(url, allow_private=False, transport=transport)
    assert transport.requests == []
    with pytest.raises(FeedSettingsError) as refused:
        check_feed_url(url, allow_private=False)
    assert "url" in refused.value.errors


@pytest.mark.parametrize(
    "internal", ["127.0.0.1", "10.0.0.7", "169.254.169.254", "::1", "::ffff:192.168.1.1"]
)
def test_a_public_name_resolving_to_an_internal_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, internal: str
) -> None:
    family = socket.AF_INET6 if ":" in internal else socket.AF_INET

    def fake_getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list[object]:
        assert host == "feeds.example.eu"
        return [(family, socket.SOCK_STREAM, 6, "", (internal, port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    transport = _NoNetwork()
    with pytest.raises(FetchRefused, match="resolves to"):
        fetch_feed("http://feeds.example.eu/rss", allow_private=False, transport=transport)
    assert transport.requests == []


def test_one_internal_address_among_public_ones_refuses_the_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = ["93.184.215.14", "10.0.0.7"]
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answers
        ],
    )
    with pytest.raises(FetchRefused, match=r"10\.0\.0\.7"):
        check_url("https://feeds.example.eu/rss", allow_private=False)


# --- redirects to internal hosts, from a loopback server this test starts ----------------

PUBLIC_STAND_IN = "93.184.215.14"  # judged by the guard; the transport maps it to loopback
REDIRECTS = {
    "/to-metadata": "http://169.254.169.254/latest/meta-data/",
    "/to-loopback": "http://127.0.0.1:6379/",
    "/to-localhost": "http://localhost/admin",
    "/to-private": "http://192.168.1.1/",
    "/to-decimal": "http://2130706433/",
    "/to-mapped": "http://[::ffff:127.0.0.1]/",
    "/to-file": "file:///etc/passwd",
    "/to-gopher": "gopher://127.0.0.1:6379/_INFO",
    "/to-relative-internal": "//10.0.0.1/feed.xml",
}


class _Redirector(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", REDIRECTS.get(self.path, "/"))
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def redirector() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


class _ToLoopback(httpx.BaseTransport):
    """Sends requests for PUBLIC_STAND_IN to the loopback redirector; fails on any other host."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.HTTPTransport()
        self.hosts: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        assert request.url.host == PUBLIC_STAND_IN, f"request to {request.url}"
        return self.inner.handle_request(
            httpx.Request(
                request.method,
                request.url.copy_with(host="127.0.0.1", port=self.port),
                headers=request.headers,
                extensions=request.extensions,
            )
        )

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("path", sorted(REDIRECTS))
def test_a_redirect_to_an_internal_host_is_refused(redirector: int, path: str) -> None:
    transport = _ToLoopback(redirector)
    with pytest.raises(FetchRefused):
        fetch_feed(f"http://{PUBLIC_STAND_IN}{path}", allow_private=False, transport=transport)
    # The first hop reached the loopback server (so the redirect was really served);
    # the internal target was never requested.
    assert transport.hosts == [PUBLIC_STAND_IN]


def test_the_bypass_needs_exactly_the_opt_in_and_never_lifts_the_scheme_rule() -> None:
    for value in ("", "0", "true", "yes", "on", " 1x", "TRUE"):
        assert not private_feeds_allowed({"FORUM_ALLOW_PRIVATE_FEEDS": value}), value
    assert not private_feeds_allowed({})
    for url in ("file:///etc/passwd", "gopher://127.0.0.1/", "ftp://127.0.0.1/", "dict://x/"):
        with pytest.raises(FetchRefused):
            check_url(url, allow_private=True)
        with pytest.raises(FeedSettingsError):
            check_feed_url(url, allow_private=True)


def test_the_guard_is_on_unless_the_environment_opts_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FORUM_ALLOW_PRIVATE_FEEDS", raising=False)
    assert not private_feeds_allowed()
    with pytest.raises(FetchRefused):
        fetch_feed("http://127.0.0.1:9/", transport=_NoNetwork())


def test_the_harvest_keeps_the_guard_on_redirects(
    redirector: int, db: Session, session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The harvester (as `forum worker` runs it, FORUM_ALLOW_PRIVATE_FEEDS unset) records a
    redirect to the metadata address as refused, having requested only the first hop."""
    monkeypatch.delenv("FORUM_ALLOW_PRIVATE_FEEDS", raising=False)
    feed = Feed(url=f"http://{PUBLIC_STAND_IN}/to-metadata", name="Redirecting feed",
                enabled=True, items_added=0, interval_minutes=360, default_kind="news",
                default_countries=[], default_sectors=[])  # fmt: skip
    db.add(feed)
    db.commit()
    transport = _ToLoopback(redirector)
    result = harvest.harvest_one(
        session_factory, feed.id, allow_private=private_feeds_allowed(), force=True,
        transport=transport,
    )  # fmt: skip
    assert result is not None and result.status == "refused", result
    assert transport.hosts == [PUBLIC_STAND_IN]
    db.refresh(feed)
    assert feed.last_status == "refused" and "169.254.169.254" in (feed.last_error or "")
