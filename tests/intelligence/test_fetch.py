"""fetch_feed against a real HTTP server on 127.0.0.1, and the SSRF guard on hostile URLs.

Nothing here leaves the machine: hosts are literal IPs or `localhost`.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from forum.intelligence.fetch import MAX_REDIRECTS, USER_AGENT, fetch_feed
from forum.intelligence.fetch_deadline import FetchFailed
from forum.intelligence.fetch_guard import FetchRefused, check_url, private_feeds_allowed

FEED = (Path(__file__).parent / "fixtures" / "rss20.xml").read_bytes()
ETAG = '"feed-v1"'
LAST_MODIFIED = "Tue, 03 Jun 2025 10:00:00 GMT"
SEEN_HEADERS: list[dict[str, str]] = []


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        SEEN_HEADERS.append({k.lower(): v for k, v in self.headers.items()})
        path = self.path
        try:
            if path == "/feed.xml":
                if (
                    self.headers.get("If-None-Match") == ETAG
                    or self.headers.get("If-Modified-Since") == LAST_MODIFIED
                ):
                    self._send(304, headers={"ETag": ETAG})
                    return
                self._send(
                    200,
                    FEED,
                    {
                        "ETag": ETAG,
                        "Last-Modified": LAST_MODIFIED,
                        "Content-Type": "application/rss+xml",
                    },
                )
            elif path.startswith("/redirect/"):
                left = int(path.rsplit("/", 1)[1])
                target = "/feed.xml" if left <= 1 else f"/redirect/{left - 1}"
                self._send(302, headers={"Location": target})
            elif path == "/to-file":
                self._send(302, headers={"Location": "file:///etc/passwd"})
            elif path == "/to-gopher":
                self._send(301, headers={"Location": "gopher://127.0.0.1:70/"})
            elif path == "/no-location":
                self._send(302)
            elif path == "/endless":
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.end_headers()  # no Content-Length: the body runs until the close
                chunk = b"<!-- padding -->" * 4096
                for _ in range(1000):  # bounded, so the thread always ends
                    self.wfile.write(chunk)
            elif path == "/declared-big":
                self._send(200, b"x", {"Content-Length": str(50 * 1024 * 1024)})
            elif path == "/gzip":
                self._send(200, gzip.compress(FEED), {"Content-Encoding": "gzip"})
            elif path == "/gzip-bomb":
                self._send(
                    200, gzip.compress(b"\0" * (20 * 1024 * 1024)), {"Content-Encoding": "gzip"}
                )
            elif path == "/slow":
                time.sleep(1.0)
                self._send(200, FEED)
            else:
                self._send(404, b"not found")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = False  # server_close() joins the handlers
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_loopback_feed_is_refused_by_default(server: str) -> None:
    with pytest.raises(FetchRefused, match="loopback"):
        fetch_feed(f"{server}/feed.xml")


def test_fetch_with_allow_private(server: str) -> None:
    result = fetch_feed(f"{server}/feed.xml", allow_private=True)
    assert result.status == 200
    assert result.body == FEED
    assert result.etag == ETAG
    assert result.last_modified == LAST_MODIFIED
    assert result.content_type == "application/rss+xml"
    assert result.final_url == f"{server}/feed.xml"
    assert SEEN_HEADERS[-1]["user-agent"] == USER_AGENT
    assert "Cluster" in USER_AGENT


def test_conditional_get_gives_304(server: str) -> None:
    first = fetch_feed(f"{server}/feed.xml", allow_private=True)
    again = fetch_feed(f"{server}/feed.xml", etag=first.etag, allow_private=True)
    assert again.status == 304
    assert again.body is None
    assert again.etag == ETAG
    assert SEEN_HEADERS[-1]["if-none-match"] == ETAG
    by_date = fetch_feed(
        f"{server}/feed.xml", last_modified=first.last_modified, allow_private=True
    )
    assert by_date.status == 304
    assert by_date.last_modified == LAST_MODIFIED
    assert SEEN_HEADERS[-1]["if-modified-since"] == LAST_MODIFIED


def test_localhost_name_is_pinned_to_the_checked_address(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    result = fetch_feed(f"http://localhost:{port}/feed.xml", allow_private=True)
    assert result.body == FEED
    assert result.final_url == f"http://localhost:{port}/feed.xml"
    assert SEEN_HEADERS[-1]["host"] == f"localhost:{port}"


def test_endless_body_is_cut_off(server: str) -> None:
    with pytest.raises(FetchFailed, match="larger than"):
        fetch_feed(f"{server}/endless", allow_private=True, max_bytes=256 * 1024)


def test_declared_oversized_body_is_refused(server: str) -> None:
    with pytest.raises(FetchFailed, match="larger than"):
        fetch_feed(f"{server}/declared-big", allow_private=True)


def test_gzip_is_decoded_and_bombs_are_capped(server: str) -> None:
    assert fetch_feed(f"{server}/gzip", allow_private=True).body == FEED
    with pytest.raises(FetchFailed, match="larger than"):
        fetch_feed(f"{server}/gzip-bomb", allow_private=True, max_bytes=1024 * 1024)


def test_redirects_are_followed_up_to_five(server: str) -> None:
    result = fetch_feed(f"{server}/redirect/{MAX_REDIRECTS}", allow_private=True)
    assert result.status == 200
    assert result.body == FEED
    assert result.final_url == f"{server}/feed.xml"


def test_more_than_five_redirects_fail(server: str) -> None:
    with pytest.raises(FetchFailed, match="redirects"):
        fetch_feed(f"{server}/redirect/{MAX_REDIRECTS + 1}", allow_private=True)


@pytest.mark.parametrize("path", ["/to-file", "/to-gopher"])
def test_redirect_hops_are_rechecked(server: str, path: str) -> None:
    with pytest.raises(FetchRefused, match="only http and https"):
        fetch_feed(f"{server}{path}", allow_private=True)


def test_redirect_without_location_fails(server: str) -> None:
    with pytest.raises(FetchFailed, match="Location"):
        fetch_feed(f"{server}/no-location", allow_private=True)


def test_http_error_status_fails(server: str) -> None:
    with pytest.raises(FetchFailed, match="404"):
        fetch_feed(f"{server}/missing", allow_private=True)


def test_timeout_fails(server: str) -> None:
    # The read timeout or, on a loaded machine, the whole fetch's deadline: both say so.
    with pytest.raises(FetchFailed, match=r"timed out|took too long"):
        fetch_feed(f"{server}/slow", allow_private=True, timeout=0.2)


def test_connection_refused_fails() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchFailed):
        fetch_feed(f"http://127.0.0.1:{port}/feed.xml", allow_private=True, timeout=2)


def test_https_request_goes_to_the_ip_with_the_name_as_sni() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=b"<rss/>")

    result = fetch_feed(
        "https://localhost:8443/feed.xml",
        allow_private=True,
        transport=httpx.MockTransport(handler),
    )
    assert result.body == b"<rss/>"
    (request,) = seen
    assert request.url.host in {"127.0.0.1", "::1"}
    assert request.headers["host"] == "localhost:8443"
    assert request.extensions["sni_hostname"] == "localhost"


HOSTILE = [
    # loopback, in every spelling
    "http://127.0.0.1/",
    "http://127.8.9.10:8080/feed",
    "http://localhost/",
    "http://localhost./",
    "http://LOCALHOST:80/",
    "http://feeds.localhost/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://017700000001/",
    "http://127.1/",
    "http://127.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://example.eu@127.0.0.1/",
    "http://user:pass@127.0.0.1:8000/feed",
    # private ranges
    "http://10.0.0.1/",
    "http://10.255.255.255/",
    "http://172.16.0.1/",
    "http://172.31.255.254/",
    "http://192.168.1.1/",
    "http://[::ffff:10.0.0.1]/",
    "http://[::ffff:192.168.0.1]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    # link-local and cloud metadata
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.0.1/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[::ffff:169.254.169.254]/",
    "http://2852039166/",  # 169.254.169.254 in decimal
    # shared, unspecified, multicast, reserved, broadcast
    "http://100.64.0.1/",
    "http://100.127.255.254/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://239.255.255.250/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://198.18.0.1/",
    # malformed numeric hosts
    "http://127.0.0.0.1/",
    "http://0x/",
    "http://1.2.3.999/",
    # non-http schemes and missing hosts
    "file:///etc/passwd",
    "ftp://ftp.example.eu/feed.xml",
    "gopher://127.0.0.1:70/",
    "data:text/xml,<rss/>",
    "javascript:alert(1)",
    "feed://example.eu/rss",
    "//example.eu/feed",
    "http:///",
    "http://",
    "http:///feed.xml",
    "",
    "http://exa mple.eu/",
    "http://127.0.0.1\\@example.eu/",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_urls_are_refused(url: str) -> None:
    with pytest.raises(FetchRefused):
        check_url(url, allow_private=False)


def test_enough_hostile_urls() -> None:
    assert len(HOSTILE) >= 30


@pytest.mark.parametrize(
    "url",
    ["http://93.184.215.14/feed.xml", "https://[2606:4700::1111]/rss", "HTTPS://1.1.1.1:8443/x"],
)
def test_public_literal_addresses_pass(url: str) -> None:
    check_url(url, allow_private=False)


def test_allow_private_lifts_address_rules_but_not_schemes() -> None:
    check_url("http://127.0.0.1/", allow_private=True)
    check_url("http://10.1.2.3/", allow_private=True)
    check_url("http://localhost/", allow_private=True)
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/", "http:///"):
        with pytest.raises(FetchRefused):
            check_url(url, allow_private=True)


def test_private_feeds_allowed_reads_the_environment() -> None:
    assert private_feeds_allowed({"FORUM_ALLOW_PRIVATE_FEEDS": "1"})
    assert not private_feeds_allowed({"FORUM_ALLOW_PRIVATE_FEEDS": "0"})
    assert not private_feeds_allowed({})
