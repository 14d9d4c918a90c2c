"""Test fixtures: real databases (SQLite, and PostgreSQL when FORUM_TEST_POSTGRES_URL is set).

Every database test runs once per backend. Each test runs inside a transaction
that is rolled back; tests that start processes or need several connections use
`scratch_url`, a migrated database of their own with committed data.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from forum.accounts.models import User
from forum.app import bind, create_app
from forum.core.config import Settings
from forum.core.db import make_engine
from forum.core.security import CSRF_COOKIE, csrf_token_for
from forum.discussions import writes as discussion_writes
from forum.discussions.admin_service import seed_categories
from forum.discussions.models import Category, Post, Thread
from forum.migrate import upgrade
from forum.taxonomy.service import resolve_sectors, seed_sectors
from tests.digests.smtp_sink import SMTPSink, running_sink

PG_URL = os.environ.get("FORUM_TEST_POSTGRES_URL", "").strip()
TEST_SECRET = "test-secret-key-not-for-production"


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        shown = make_url(PG_URL).render_as_string(hide_password=True)
        return f"databases: sqlite and postgresql ({shown})"
    return "databases: sqlite only (set FORUM_TEST_POSTGRES_URL to add postgresql)"


class Backend:
    """One database server for the whole run, with a migrated template to copy from."""

    def __init__(self, name: str, url: str, cleanup: list[str]) -> None:
        self.name = name
        self.url = url
        self._cleanup = cleanup

    def fresh(self) -> str:
        """A new migrated database with nothing committed in it but the schema."""
        if self.name == "sqlite":
            source = Path(make_url(self.url).database or "")
            target = source.with_name(f"scratch-{uuid.uuid4().hex[:8]}.sqlite3")
            shutil.copyfile(source, target)
            return f"sqlite:///{target}"
        template = make_url(self.url).database
        name = f"forum_scratch_{uuid.uuid4().hex[:10]}"
        _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._cleanup.append(name)
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)


@dataclass(frozen=True)
class DemoTemplate:
    engine: Engine
    data_dir: Path


def _pg_admin(statement: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    cleanup: list[str] = []
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
        url = f"sqlite:///{path}"
        upgrade(url)
        yield Backend("sqlite", url, cleanup)
        return
    if not PG_URL:
        pytest.skip("PostgreSQL: FORUM_TEST_POSTGRES_URL is not set")
    name = f"forum_test_{uuid.uuid4().hex[:10]}"
    try:
        _pg_admin(f'CREATE DATABASE "{name}"')
    except OperationalError as exc:
        pytest.fail(f"FORUM_TEST_POSTGRES_URL is set but the server is unreachable: {exc}")
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    # Scratch databases are copied from this one: nobody may stay connected to it.
    make_engine(url).dispose()
    yield Backend("postgresql", url, cleanup)
    for db_name in [*cleanup, name]:
        _pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def engine(backend: Backend) -> Iterator[Engine]:
    """The engine of this run's shared database (schema only; tests roll back)."""
    url = backend.fresh()
    eng = make_engine(url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def demo_template(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoTemplate]:
    """A database of its own with the report's demo data, loaded once per run.

    Tests that ask for `demo_db` run on it, inside a rolled-back transaction like every
    other test, instead of loading the demo (seconds) each time.
    """
    from forum.core.db import make_session_factory
    from forum.plugins import demo_parts

    url = backend.fresh()
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    eng = make_engine(url)
    demo_settings = Settings(data_dir=data_dir, database_url=url, secret_key=TEST_SECRET)
    with make_session_factory(eng)() as session:
        for part in demo_parts():
            part.load(session, demo_settings)
        session.commit()
    yield DemoTemplate(eng, data_dir)
    eng.dispose()


@pytest.fixture
def test_engine(request: pytest.FixtureRequest, engine: Engine) -> Engine:
    """The demo database for tests that ask for `demo_db`, the empty one for the others."""
    if "demo_db" in request.fixturenames:
        template: DemoTemplate = request.getfixturevalue("demo_template")
        return template.engine
    return engine


@pytest.fixture
def connection(test_engine: Engine) -> Iterator[Connection]:
    with test_engine.connect() as conn:
        outer = conn.begin()
        yield conn
        outer.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions bound to the test's connection: their commits become savepoints."""
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def sectors(db: Session) -> None:
    seed_sectors(db)
    db.flush()


@pytest.fixture
def settings(tmp_path: Path, test_engine: Engine) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=test_engine.url.render_as_string(hide_password=False),
        secret_key=TEST_SECRET,
        base_url="http://testserver",
        embedded_worker=False,
    )


@pytest.fixture(scope="session")
def app_cache() -> dict[tuple[object, ...], FastAPI]:
    return {}


@pytest.fixture
def app(
    settings: Settings,
    test_engine: Engine,
    session_factory: sessionmaker[Session],
    app_cache: dict[tuple[object, ...], FastAPI],
) -> Iterator[FastAPI]:
    """The app on this test's settings and rolled-back connection.

    One app is built per database and per what `create_app` bakes in (the secret, HTTPS
    and the embedded worker) and rebound to each test with `forum.app.bind`: FastAPI
    builds an app's routes on its first request, a fifth of a second a test otherwise.
    """
    key = (id(test_engine), settings.secret_key, settings.https, settings.embedded_worker)
    cached = app_cache.get(key)
    if cached is None:
        cached = app_cache[key] = create_app(
            settings, engine=test_engine, session_factory=session_factory
        )
    else:
        bind(cached, settings, engine=test_engine, session_factory=session_factory)
    routes = len(cached.router.routes)
    yield cached
    if len(cached.router.routes) != routes:
        del app_cache[key]
        pytest.fail("this test added routes to the shared app: ask for `own_app` instead")


@pytest.fixture
def own_app(
    settings: Settings, test_engine: Engine, session_factory: sessionmaker[Session]
) -> FastAPI:
    """An app of this test's own, never shared: for tests that add routes to it."""
    return create_app(settings, engine=test_engine, session_factory=session_factory)


class Client(TestClient):
    """A browser-like client: keeps cookies and knows the CSRF token for forms."""

    def csrf_token(self) -> str:
        if CSRF_COOKIE not in self.cookies:
            self.get("/privacy")
        return csrf_token_for(TEST_SECRET, self.cookies[CSRF_COOKIE])

    def post_form(self, url: str, data: dict[str, str], **kwargs: object) -> object:
        return self.post(url, data={**data, "csrf_token": self.csrf_token()}, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def client(app: FastAPI) -> Iterator[Client]:
    with Client(app, base_url="http://testserver", follow_redirects=False) as c:
        yield c


@pytest.fixture
def scratch_url(backend: Backend) -> str:
    """A migrated database of this test's own, for work across several connections."""
    return backend.fresh()


@pytest.fixture
def scratch_engine(scratch_url: str) -> Iterator[Engine]:
    """An engine on `scratch_url`, disposed of after the test."""
    engine = make_engine(scratch_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sink() -> Iterator[SMTPSink]:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives."""
    with running_sink() as server:
        yield server


@pytest.fixture
def demo_db(db: Session, settings: Settings, demo_template: DemoTemplate) -> Session:
    """The test's session on the demo database (see `demo_template`), with the demo's
    uploaded files copied into this test's data dir; changes roll back."""
    uploads = demo_template.data_dir / "uploads"
    if uploads.is_dir():
        shutil.copytree(uploads, settings.uploads_dir, dirs_exist_ok=True)
    return db


# --- people ----------------------------------------------------------------------------

TEST_PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One argon2id hash for every test user: hashing per user would slow the suite."""
    from forum.accounts.passwords import hash_password

    return hash_password(TEST_PASSWORD)


class People:
    """Makes users for tests; `password_hash` is shared, the password is TEST_PASSWORD."""

    def __init__(self, db: Session, password_hash: str) -> None:
        self.db = db
        self.password_hash = password_hash
        self.count = 0

    def make(
        self,
        *,
        role: str = "member",
        name: str | None = None,
        email: str | None = None,
        verified: bool = True,
        onboarded: bool = True,
        partnership_slug: str | None = None,
    ) -> User:
        from forum.accounts.models import Membership
        from forum.accounts.service import create_user
        from forum.core.db import utcnow
        from forum.partnerships.service import get_partnership_by_slug

        self.count += 1
        user = create_user(
            self.db,
            email=email or f"person{self.count}-{uuid.uuid4().hex[:6]}@example.eu",
            name=name or f"Person {self.count}",
            password=None,
            password_hash=self.password_hash,
            role=role,
            verified=verified,
        )
        if onboarded:
            user.onboarded_at = utcnow()
        if partnership_slug:
            partnership = get_partnership_by_slug(self.db, partnership_slug)
            assert partnership is not None
            self.db.add(
                Membership(user_id=user.id, partnership_id=partnership.id, status="approved")
            )
        self.db.flush()
        self.db.refresh(user)
        return user


@pytest.fixture
def people(db: Session, password_hash: str) -> People:
    return People(db, password_hash)


@pytest.fixture
def member(people: People) -> User:
    return people.make(name="Maria Member", email="maria@example.eu")


@pytest.fixture
def other_member(people: People) -> User:
    return people.make(name="Otto Other", email="otto@example.eu")


@pytest.fixture
def moderator(people: People) -> User:
    return people.make(role="moderator", name="Mona Moderator", email="mona@example.eu")


@pytest.fixture
def admin(people: People) -> User:
    return people.make(role="admin", name="Ada Admin", email="ada@example.eu")


@pytest.fixture
def coordinator(people: People, demo_db: Session) -> User:
    """The coordinator of LASER-GO GLOBAL (demo data loaded)."""
    from forum.partnerships.service import get_partnership_by_slug

    user = people.make(
        name="Carla Coordinator", email="carla@example.eu", partnership_slug="laser-go-global"
    )
    partnership = get_partnership_by_slug(demo_db, "laser-go-global")
    assert partnership is not None
    partnership.coordinator_id = user.id
    demo_db.flush()
    return user


def sign_in(client: TestClient, db: Session, user: User) -> None:
    """Give `client` a session for `user`, as a successful login would."""
    from forum.accounts.sessions import SESSION_COOKIE, create_session

    raw = create_session(db, user)
    db.flush()
    client.cookies.set(SESSION_COOKIE, raw)


@pytest.fixture
def as_member(client: Client, db: Session, member: User) -> Client:
    sign_in(client, db, member)
    return client


@pytest.fixture
def as_admin(client: Client, db: Session, admin: User) -> Client:
    sign_in(client, db, admin)
    return client


@pytest.fixture
def as_moderator(client: Client, db: Session, moderator: User) -> Client:
    sign_in(client, db, moderator)
    return client


class Outbox:
    """The mail a test caused: runs the queued send-email jobs, reads the .eml files."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.factory = factory

    def deliver(self) -> None:
        from forum.runner import Runner

        runner = Runner(self.settings, self.factory, kind="worker")
        # Jobs may queue jobs (a reset request queues its email): run until quiet.
        for _ in range(10):
            if not runner.run_once(job_limit=1000):
                break

    def messages(self) -> list[EmailMessage]:
        from forum.core.mail import parse_message

        self.deliver()
        folder = self.settings.outbox_dir
        if not folder.is_dir():
            return []
        return [parse_message(p.read_text()) for p in sorted(folder.glob("*.eml"))]

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if m["To"] == address]

    def last_link(self, address: str, path_prefix: str) -> str:
        """The last link to `base_url + path_prefix...` mailed to `address`, as a path."""
        for message in reversed(self.to(address)):
            body = message.get_body(preferencelist=("plain",))
            assert body is not None
            found = re.findall(
                rf"{re.escape(self.settings.base_url)}({path_prefix}\S+)", body.get_content()
            )
            if found:
                return str(found[-1])
        raise AssertionError(f"no {path_prefix} link mailed to {address}")


@pytest.fixture
def outbox(settings: Settings, session_factory: sessionmaker[Session]) -> Outbox:
    return Outbox(settings, session_factory)


def signed_in_as(page_html: str) -> str | None:
    """The name in the page header's account area, or None for a visitor."""
    found = re.search(r'<li><a href="/profile">([^<]+)</a></li>', page_html)
    return found.group(1) if found else None


def without_tokens(page_html: str, *variable: str) -> str:
    """A page with what differs per request (nonces, CSRF tokens) and `variable` blanked."""
    page_html = re.sub(r"(?i)nonce[=\-\"': ]+[A-Za-z0-9_\-]+", "nonce", page_html)
    page_html = re.sub(r'name="csrf_token" value="[0-9a-f]*"', "csrf", page_html)
    for value in variable:
        page_html = page_html.replace(value, "X")
    return page_html


# --- discussions ------------------------------------------------------------------


@pytest.fixture
def categories(db: Session) -> dict[str, Category]:
    seed_sectors(db)
    seed_categories(db)
    return {c.slug: c for c in db.scalars(select(Category))}


@pytest.fixture
def members_only(db: Session, categories: dict[str, Category]) -> Category:
    category = Category(slug="staff-room", name="Staff room", visibility="members", position=99)
    db.add(category)
    db.flush()
    return category


def start_good_practice(
    db: Session,
    author: User,
    category: Category,
    *,
    title: str = "Trade fair in Osaka",
    countries: Sequence[str] = ("JP",),
    approach: str = "A shared stand.",
    results: str = "Two agreements.",
) -> Thread:
    """A good practice on food with its two required fields, flushed."""
    thread = discussion_writes.create_thread(
        db,
        author,
        discussion_writes.ThreadInput(
            title=title,
            body="",
            category=category,
            kind="good_practice",
            countries=list(countries),
            sectors=resolve_sectors(db, ["food"]),
            good_practice=discussion_writes.GoodPracticeInput(approach=approach, results=results),
        ),
        check_limits=False,
    )
    db.flush()
    return thread


class Threads:
    def __init__(self, db: Session, categories: dict[str, Category]) -> None:
        self.db = db
        self.categories = categories

    def start(
        self,
        author: User,
        *,
        title: str = "Entering the Japanese food market",
        body: str = "What worked for you?",
        category: str | Category = "market-intelligence",
        kind: str = "discussion",
        countries: Sequence[str] = ("JP",),
        sectors: Sequence[str] = ("food",),
    ) -> Thread:
        chosen = category if isinstance(category, Category) else self.categories[category]
        thread = discussion_writes.create_thread(
            self.db,
            author,
            discussion_writes.ThreadInput(
                title=title,
                body=body,
                category=chosen,
                kind=kind,
                countries=list(countries),
                sectors=resolve_sectors(self.db, list(sectors)),
            ),
            check_limits=False,
        )
        self.db.flush()
        return thread

    def reply(
        self, author: User, thread: Thread, body: str = "A reply.", parent: Post | None = None
    ) -> Post:
        post = discussion_writes.reply(
            self.db,
            author,
            thread,
            body=body,
            parent_id=parent.id if parent else None,
            check_limits=False,
        )
        self.db.flush()
        return post


@pytest.fixture
def threads(db: Session, categories: dict[str, Category]) -> Threads:
    return Threads(db, categories)


@pytest.fixture
def pseudo_locale() -> Iterator[str]:
    """The pseudo-locale `xx` offered for the test's length (tests/i18n/pseudo.py)."""
    from tests.i18n import pseudo

    pseudo.install()
    try:
        yield pseudo.CODE
    finally:
        pseudo.uninstall()


@pytest.fixture
def french() -> Iterator[str]:
    """French offered with an empty catalog, as if its catalog were compiled: sentences
    stay English, while dates, numbers and country names come from CLDR's French."""
    from babel.support import NullTranslations

    from forum.core import i18n

    i18n.install("fr", NullTranslations(), formats_as="fr")
    try:
        yield "fr"
    finally:
        i18n.uninstall("fr")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The tagger's figures on the published-items set, whenever its tests ran."""
    ran = any(
        "test_tagging_published.py" in getattr(report, "nodeid", "")
        for reports in terminalreporter.stats.values()
        for report in reports
    )
    if ran:
        from tests.intelligence.published import table

        terminalreporter.write_sep("-", "tagging: real published items")
        terminalreporter.write_line(table())
