"""Browser-test harness: a live forum server with the demo data, and Chromium via Playwright.

The server runs as a real subprocess (`forum demo`, then `forum serve`) on a free loopback
port with its own data dir, once per test session. Every test gets a fresh browser context
with the normal Content-Security-Policy; a CSP violation or an uncaught page error fails it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    Page,
    Response,
    expect,
    sync_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-results" / "screenshots"
E2E_DIR = Path(__file__).resolve().parent
HEALTH_TRIES = 200
HEALTH_INTERVAL = 0.1
SECRET_KEY = "e2e-secret"
# Chromium's wording: older "Refused to execute inline script because it violates the
# following Content Security Policy directive ...", newer "Executing inline script violates
# the following Content Security Policy directive ... The action has been blocked."
CSP_VIOLATION = re.compile(r"Refused to|violates the following Content Security Policy", re.I)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e is a browser journey: mark it `e2e`."""
    for item in items:
        if E2E_DIR in item.path.resolve().parents:
            item.add_marker(pytest.mark.e2e)


@dataclass(frozen=True)
class LiveServer:
    url: str
    data_dir: Path
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _server_env(data_dir: Path, base_url: str) -> dict[str, str]:
    # Only our own FORUM_* settings: a developer's FORUM_DATABASE_URL must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(
        FORUM_DATA_DIR=str(data_dir),
        FORUM_BASE_URL=base_url,
        FORUM_SECRET_KEY=SECRET_KEY,
        PYTHONUNBUFFERED="1",
    )
    return env


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _wait_until_healthy(server: LiveServer, proc: subprocess.Popen[bytes]) -> str | None:
    """None once /healthz answers 200, else why the server never came up."""
    last_error = "no answer"
    with httpx.Client(timeout=2.0) as client:
        for _ in range(HEALTH_TRIES):
            if proc.poll() is not None:
                return f"server exited with code {proc.returncode}"
            try:
                response = client.get(f"{server.url}/healthz")
            except httpx.HTTPError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200 and response.json().get("status") == "ok":
                    return None
                last_error = f"/healthz answered {response.status_code}: {response.text[:200]}"
            time.sleep(HEALTH_INTERVAL)
    return f"/healthz not ok after {HEALTH_TRIES * HEALTH_INTERVAL:.0f} s ({last_error})"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("forum-e2e")
    server = LiveServer(
        url=f"http://127.0.0.1:{port}", data_dir=data_dir, log_path=data_dir / "server.log"
    )
    env = _server_env(data_dir, server.url)
    demo = subprocess.run(
        [sys.executable, "-m", "forum.cli", "demo"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if demo.returncode != 0:
        pytest.fail(
            f"`forum demo` failed with code {demo.returncode}:\n"
            f"{demo.stdout[-2000:]}\n{demo.stderr[-4000:]}",
            pytrace=False,
        )
    with server.log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "forum.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            problem = _wait_until_healthy(server, proc)
            if problem is not None:
                _stop(proc)
                pytest.fail(
                    f"forum server did not come up: {problem}\n--- server log ---\n"
                    f"{server.log_tail()}",
                    pytrace=False,
                )
            yield server
        finally:
            _stop(proc)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: install it with `apt-get install chromium`"
        if os.environ.get("FORUM_SKIP_BROWSER") == "1":
            pytest.skip(message)
        pytest.fail(message + " (or set FORUM_SKIP_BROWSER=1 to skip the browser tests)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class PageLog:
    """What one test's page said: console messages, uncaught errors, top-level documents."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    documents: list[Response] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [m for m in self.console if CSP_VIOLATION.search(m)]


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer, page_log: PageLog) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url)
    try:
        new_page = context.new_page()

        def on_console(message: ConsoleMessage) -> None:
            page_log.console.append(f"[{message.type}] {message.text}")

        def on_error(error: Exception) -> None:
            page_log.errors.append(str(error))

        def on_response(response: Response) -> None:
            if (
                response.request.resource_type == "document"
                and response.frame == new_page.main_frame
            ):
                page_log.documents.append(response)

        new_page.on("console", on_console)
        new_page.on("pageerror", on_error)
        new_page.on("response", on_response)
        yield new_page
    finally:
        context.close()
    problems = [f"CSP violation: {m}" for m in page_log.csp_violations()]
    problems += [f"page error: {e}" for e in page_log.errors]
    if problems:
        pytest.fail("the page misbehaved:\n" + "\n".join(problems), pytrace=False)


def save_screenshot(page: Page, name: str) -> Path:
    """Full-page screenshot to test-results/screenshots/<name>.png (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def create_account(server: LiveServer, email: str, name: str, password: str, role: str) -> str:
    """A verified account made by `forum user create` against the live server's data dir."""
    subprocess.run(
        [sys.executable, "-m", "forum.cli", "user", "create", email, "--name", name,
         "--role", role, "--password-stdin"],
        input=password + "\n", env=_server_env(server.data_dir, server.url), cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return email


def sign_in(page: Page, email: str, password: str) -> None:
    """Log in through the form; returns once the header shows the signed-in menu."""
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".site-account")).to_contain_text("Log out")


def picker(page: Page, label: str | re.Pattern[str]) -> Locator:
    """The picker (`ui.picker` enhanced by js/picker.js) whose label is `label`."""
    return page.locator(".picker-field").filter(has=page.get_by_role("combobox", name=label))


def chips(page: Page, label: str | re.Pattern[str]) -> Locator:
    """The chosen values of a picker, as chips."""
    return picker(page, label).locator(".ts-control > .item")


def offered(page: Page, label: str | re.Pattern[str]) -> Locator:
    """A picker's dropdown (the options typing left), not its hidden native list."""
    return picker(page, label).locator(".ts-dropdown")


def pick(page: Page, label: str | re.Pattern[str], typed: str, option: str) -> None:
    """Choose in a picker as a person does: type, see `option` highlighted, press Enter;
    returns once its chip shows."""
    box = page.get_by_role("combobox", name=label)
    box.focus()  # as the keyboard does (Tab): a mouse would hit the open dropdown above
    box.press_sequentially(typed, delay=20)
    # tom-select filters once typing pauses: wait until the wanted option is the active one.
    expect(offered(page, label).locator(".option.active")).to_have_text(option)
    box.press("Enter")
    expect(chips(page, label).filter(has_text=option)).to_have_count(1)


ADMIN_EMAIL = "admin.e2e@example.eu"
ADMIN_NAME = "Ada Admin"
ADMIN_PASSWORD = "an admin passphrase for e2e"
MEMBER_EMAIL = "rita.e2e@example.eu"
MEMBER_NAME = "Rita Journey"
MEMBER_PASSWORD = "a member passphrase for the journeys"


@pytest.fixture(scope="session")
def admin_account(live_server: LiveServer) -> str:
    return create_account(live_server, ADMIN_EMAIL, ADMIN_NAME, ADMIN_PASSWORD, "admin")


@pytest.fixture(scope="session")
def member_account(live_server: LiveServer) -> str:
    """One member shared by the journeys that need nothing more than a signed-in member."""
    return create_account(live_server, MEMBER_EMAIL, MEMBER_NAME, MEMBER_PASSWORD, "member")
