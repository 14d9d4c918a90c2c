"""Settings: every knob of the forum, read once from the environment (prefix FORUM_)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, PrivateAttr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from forum.core.db import (
    PG_MAX_OVERFLOW,
    PG_POOL_SIZE,
    PG_POOL_TIMEOUT,
    SQLITE_CACHE_KIB,
    SQLITE_POOL_SIZE,
)

log = logging.getLogger(__name__)

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret

# Connections a web process's own threads may hold besides its requests: the view
# counter's flush; and the embedded runner's pass (a digest run reads and writes on two)
# with its search drainer (the drain lock's connection and the drain's own) and its
# lease renewal (a thread of its own, one short transaction at a time).
WEB_BACKGROUND_CONNECTIONS = 1
EMBEDDED_RUNNER_CONNECTIONS = 5


class Settings(BaseSettings):
    """The forum's configuration.

    Built once by the CLI or `create_app()` and passed down; nothing reads the
    environment anywhere else.
    """

    model_config = SettingsConfigDict(env_prefix="FORUM_", extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str | None = None
    meili_url: str | None = None
    # The key that writes (workers, `forum search reindex`); docs/search.md, "API keys".
    meili_key: str | None = None
    # The key searches use (web processes: a search-only key); unset, `meili_key`.
    meili_search_key: str | None = None
    # `pagination.maxTotalHits`: totals are exact below it, "at least" from it on.
    meili_max_total_hits: int = Field(default=10_000, ge=1_000, le=100_000)
    # Bytes per document POST at most: under the server's `--http-payload-size-limit`.
    meili_payload_limit_bytes: int = Field(default=10 * 1024 * 1024, ge=64 * 1024)
    smtp_url: str | None = None
    mail_from: str = "Cluster Forum <forum@localhost>"
    # A mailbox the platform reads: when set, digests also offer <mailto:...> in
    # List-Unsubscribe (RFC 2369); unset, only the one-click https link is offered.
    unsubscribe_mailto: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    # Count clicks on a digest's entries, week by week and per section (never per member),
    # through the links' own signed redirect (/d/...). Off: the links go straight there.
    count_digest_clicks: bool = False
    secret_key: str | None = None
    # Comma-separated addresses whose X-Forwarded-For is believed.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The lease period: how long a lease lives without renewal before another process
    # may take it over. Every lease uses it: a worker's heartbeat (its claimed jobs are
    # requeued when it lapses), the embedded index's drain lease and the digest sender's.
    # Holders renew at a third of it. FORUM_WORKER_LEASE_SECONDS is its former name.
    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        validation_alias=AliasChoices(
            "lease_seconds",
            "FORUM_LEASE_SECONDS",
            "worker_lease_seconds",
            "FORUM_WORKER_LEASE_SECONDS",
        ),
    )
    # Seconds between two passes of the background loops.
    worker_tick_seconds: float = 2.0
    # Run the background loops inside `forum serve` when no worker holds a lease.
    embedded_worker: bool = True
    # PostgreSQL connections per process (docs/deploy.md, "Sizing connections"): kept open
    # (pool), opened beyond it under load and closed again (overflow), and how long a
    # thread waits for one. A web process admits only as many requests at once as its
    # pool can serve beside its own background threads, so a burst waits for a place
    # rather than timing out on the pool. SQLite keeps its own pool (forum/core/db.py).
    db_pool_size: int = Field(default=PG_POOL_SIZE, ge=1, le=500)
    db_max_overflow: int = Field(default=PG_MAX_OVERFLOW, ge=0, le=500)
    db_pool_timeout: float = Field(default=PG_POOL_TIMEOUT, gt=0, le=300)
    # How many forum processes connect to the database in all (each `forum serve`, every
    # uvicorn --workers process counting as one, and each `forum worker`): `forum status`
    # checks that their connections fit under the server's max_connections.
    db_processes: int | None = Field(default=None, ge=1, le=10_000)
    # Connections left for everything else: the server's superuser-reserved ones,
    # `forum migrate`, `forum backup`, psql, monitoring.
    db_connection_reserve: int = Field(default=10, ge=0, le=10_000)
    # Each SQLite connection's page cache, in KiB (SQLite's default): process memory, up to
    # this times the connections a process keeps open (40 for a web process; docs/deploy.md,
    # "Memory"). 0 keeps no pages beyond the statement's own.
    sqlite_cache_kib: int = Field(default=SQLITE_CACHE_KIB, ge=0, le=1_048_576)
    timezone: str = "Europe/Brussels"
    demo_notice: str | None = None
    # Seconds a fetch of an outside URL (a harvested feed) may take in all: DNS,
    # connecting, TLS, waiting for the headers and reading the body.
    fetch_deadline: float = Field(default=10.0, gt=0, le=300)
    # How many feeds a harvest fetches at once: a slow feed holds up only its own place.
    harvest_concurrency: int = Field(default=4, ge=1, le=32)
    # The largest file a member may upload (attachments), in bytes.
    upload_max_bytes: int = 25 * 1024 * 1024
    # Re-read page templates when their files change (while editing them). Off, each is
    # read once per process: checking every file's time on every include cost a fifth
    # of the thread page's time under load.
    reload_templates: bool = False
    # Answering by email (docs/email.md, "Answering by email"). The domain whose mail the
    # forum receives (reply+TOKEN@ and category+SLUG@ addresses); unset, emails carry no
    # reply address and inbound mail is refused.
    inbound_domain: str | None = None
    # The authserv-id our own MTA writes in Authentication-Results; only its header counts.
    inbound_authserv_id: str | None = None
    # Where `forum mail serve` listens (host:port).
    inbound_listen: str = "127.0.0.1:8025"
    # The largest inbound message, in bytes.
    inbound_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)

    _key_generated: bool = PrivateAttr(default=False)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'forum.sqlite3').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def db_connections_per_process(self) -> int:
        """The most connections one process may hold on PostgreSQL: pool plus overflow."""
        return self.db_pool_size + self.db_max_overflow

    def engine_options(self) -> dict[str, Any]:
        """make_engine's arguments for this database: the pool's on PostgreSQL, the page
        cache's on SQLite."""
        if self.is_sqlite:
            return {"sqlite_cache_kib": self.sqlite_cache_kib}
        return {
            "pool_size": self.db_pool_size,
            "max_overflow": self.db_max_overflow,
            "pool_timeout": self.db_pool_timeout,
        }

    @property
    def request_slots(self) -> int:
        """How many requests one web process serves at once (and its thread pool's size).

        On PostgreSQL: its connections minus those its own background threads may hold
        (the view counter; the embedded runner and its search drainer when
        FORUM_EMBEDDED_WORKER is on), at least 2. On SQLite: one per pooled connection.
        """
        if self.is_sqlite:
            return SQLITE_POOL_SIZE
        background = WEB_BACKGROUND_CONNECTIONS + (
            EMBEDDED_RUNNER_CONNECTIONS if self.embedded_worker else 0
        )
        return max(2, self.db_connections_per_process - background)

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def search_dir(self) -> Path:
        return self.data_dir / "search"

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def base_url_is_loopback(self) -> bool:
        host = urlsplit(self.base_url).hostname or ""
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    @property
    def lease_ttl(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.lease_seconds)

    @property
    def search_engine_name(self) -> str:
        return "meilisearch" if self.meili_url else "embedded"

    @property
    def mail_transport_name(self) -> str:
        return "smtp" if self.smtp_url else "eml-outbox"

    @property
    def secret_key_is_generated(self) -> bool:
        return self._key_generated

    def ensure_data_dir(self) -> None:
        """Create the data dir and, when FORUM_SECRET_KEY is unset, a secret key file (0600)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.secret_key:
            return
        path = self.data_dir / SECRET_KEY_FILE
        if not path.exists():
            # O_EXCL: two processes starting together must not write two keys.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(48))
                log.info("generated a secret key in %s", path)
        self.secret_key = path.read_text().strip()
        self._key_generated = True

    def production_warnings(self) -> list[str]:
        """What an operator should fix before real members use this instance."""
        if self.base_url_is_loopback:
            return []
        warnings = []
        if self.secret_key_is_generated:
            warnings.append(
                "FORUM_SECRET_KEY is not set: using a key generated into the data dir; "
                "set it explicitly so every process and host share it"
            )
        if not self.smtp_url:
            warnings.append(
                "FORUM_SMTP_URL is not set: mail is written as .eml files to "
                f"{self.outbox_dir} and never delivered"
            )
        if self.is_sqlite:
            warnings.append(
                "the database is SQLite: fine for one host, use PostgreSQL "
                "(FORUM_DATABASE_URL) for production"
            )
        return warnings


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment, apply overrides, prepare the data dir."""
    settings = Settings(**overrides)  # type: ignore[arg-type]
    settings.ensure_data_dir()
    return settings
