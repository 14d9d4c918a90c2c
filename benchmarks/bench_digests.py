"""Building and sending every digest: 10,000 members over 100,000 intelligence items.

The members have varied follows (1-4 countries skewed like the report's Table 1, 0-2
sectors; one in ten follows nothing and gets the highlights); the items are the
synthetic ones of `forum demo --synthetic` (bodies left out), spread over the last year
so a week holds about 2,000 of them. Every member is planned at once (`forum digest send
--now`), then `send_pending` builds and sends every digest over one SMTP connection to an
aiosmtpd server on loopback running in a process of its own, as a real relay would.

Reported: digests per second beside the same server's raw rate for digest-sized messages
over one connection, measured in the same run (goal: at least half of it; issue 26), the
CPU time per message of the sender (building included) and of the server, and the
sender's RSS growth while it runs (goal: under 50 MB). The digest-sized rate is the
higher of two: 100 real digests (the run's first members, built before it) sent as ready
bytes just before the run and again just after it (the mean of the two, the machine's
load drifting), and the median digest sent, copied, after the run. The rate for a trivial
message is reported beside it. Then what translation costs: the
same built digests rendered for the wire in English and in the pseudo-locale `xx`
(every sentence through its catalog), alternately, in the same run (goal: under 5 %).

Smaller runs: BENCH_DIGEST_MEMBERS and BENCH_DIGEST_ITEMS (e.g. 1000 and 10000).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import os
import random
import socket
import tempfile
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from rich.console import Console
from sqlalchemy import insert, select

from benchmarks.harness import Result
from forum.accounts.models import User
from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory, transaction, utcnow
from forum.core.mail import PreparedMessage, SMTPTransport
from forum.demo.synthetic_intelligence import insert_intel_items
from forum.demo.textgen import SkewedChoice, report_country_weights
from forum.digests.batches import build_batch
from forum.digests.builder import build_digest
from forum.digests.deliveries import select_work
from forum.digests.news import load_candidates
from forum.digests.planner import due_members
from forum.digests.render import prepare_digest_email
from forum.digests.sender import SendReport, send_pending
from forum.migrate import upgrade
from forum.notifications.models import Follow
from forum.taxonomy.models import Sector
from forum.taxonomy.service import seed_sectors

MEMBERS = int(os.environ.get("BENCH_DIGEST_MEMBERS", "10000"))
ITEMS = int(os.environ.get("BENCH_DIGEST_ITEMS", "100000"))
RAW_MESSAGES = 2000
RAW_SAMPLE = 100  # real digests replayed to the server before and after the run
GOAL_RATIO = 0.5
GOAL_RSS_MB = 50.0
GOAL_TRANSLATION = 0.05  # what rendering in another language may cost, at most
RENDER_SAMPLE = 300
RENDER_ROUNDS = 5
SEED = 9


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Counter:
    """An aiosmtpd handler that counts what it accepted (keeps nothing)."""

    def __init__(self, count: Synchronized[int]) -> None:
        self.count = count

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.count.get_lock():
            self.count.value += 1
        return "250 OK"


def _serve(port: int, count: Synchronized[int], ready: Event, stop: Event) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_Counter(count), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _render_by_language(factory: Any, settings: Settings, now: dt.datetime) -> dict[str, float]:
    """Milliseconds to render one digest for the wire, in English and in `xx`: the same
    RENDER_SAMPLE built digests, the languages alternating round by round."""
    from tests.i18n import pseudo

    pseudo.install()
    try:
        with factory() as db:
            start = now - dt.timedelta(days=7)
            candidates = load_candidates(db, window_start=start, window_end=now, now=now)
            readers = db.scalars(
                select(User).where(User.email.like("digest-%@example.invalid")).limit(RENDER_SAMPLE)
            )
            built = [
                (user, build_digest(db, settings, user, period=now.date(), window_start=start,
                                    window_end=now, now=now, candidates=candidates))
                for user in readers
            ]  # fmt: skip
            built = [(user, digest) for user, digest in built if not digest.is_empty]
            spent = {"en": 0.0, pseudo.CODE: 0.0}
            for _ in range(RENDER_ROUNDS):
                for language in spent:
                    began = time.perf_counter()
                    for user, digest in built:
                        user.language = language
                        prepare_digest_email(settings, user, digest, message_id="<bench@x>")
                    spent[language] += time.perf_counter() - began
            db.rollback()
    finally:
        pseudo.uninstall()
    renders = RENDER_ROUNDS * max(1, len(built))
    return {language: seconds * 1000 / renders for language, seconds in spent.items()}


def _members(factory: Any, count: int) -> None:
    """`count` verified weekly members with varied follows, in bulk."""
    rng = random.Random(SEED)
    countries = SkewedChoice(report_country_weights(), seed=SEED + 1)
    joined = utcnow() - dt.timedelta(days=365)
    with transaction(factory) as db:
        sectors = [s.slug for s in db.scalars(select(Sector))]
        users = [
            {
                "email": f"digest-{i}@example.invalid",
                "name": f"Digest reader {i}",
                "handle": f"digest.reader.{i}",
                "role": "member",
                "email_verified_at": joined,
                "onboarded_at": joined,
                "created_at": joined,
                "bio": "",
                "timezone": rng.choice(("Europe/Brussels", "Europe/Madrid", "Asia/Tokyo")),
                "language": "en",
                "digest_frequency": "weekly",
                "digest_weekday": 0,
                "digest_hour": 7,
            }
            for i in range(count)
        ]
        for start in range(0, count, 2000):
            db.execute(insert(User), users[start : start + 2000])
        ids = list(db.scalars(select(User.id).where(User.email.like("digest-%@example.invalid"))))
        follows = []
        for user_id in ids:
            if rng.random() < 0.1:
                continue  # follows nothing: the highlights digest
            for code in countries.pick(1, 4):
                follows.append({"user_id": user_id, "target_type": "country", "target": code})
            for slug in rng.sample(sectors, rng.randint(0, 2)):
                follows.append({"user_id": user_id, "target_type": "sector", "target": slug})
        for start in range(0, len(follows), 5000):
            db.execute(
                insert(Follow),
                [{**f, "created_at": joined} for f in follows[start : start + 5000]],
            )


def _raw_rate(url: str, settings: Settings) -> float:
    """Trivial messages per second over one connection to the same server, handed over
    as ready bytes (the cheapest way to send: the server's own rate, the strict baseline)."""
    transport = SMTPTransport(url)
    messages = []
    for i in range(RAW_MESSAGES):
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = f"raw-{i}@example.invalid"
        message["Subject"] = "ping"
        message["Message-ID"] = f"<raw-{i}@example.invalid>"
        message.set_content("ping")
        messages.append(
            PreparedMessage(
                sender="forum@localhost",
                recipients=(f"raw-{i}@example.invalid",),
                data=message.as_bytes(policy=policy.SMTP),
                message_id=f"<raw-{i}@example.invalid>",
            )
        )
    start = time.perf_counter()
    with transport.connect() as connection:
        for prepared in messages:
            connection.send(prepared)
    return RAW_MESSAGES / (time.perf_counter() - start)


class _Sizes:
    """Wraps the real transport's connections to note each message's size (and keep a
    sample of them), so that the server's rate for digest-sized messages can be measured."""

    def __init__(self, transport: SMTPTransport) -> None:
        self.transport = transport
        self.sizes: list[int] = []
        self.samples: list[PreparedMessage] = []

    @contextlib.contextmanager
    def connect(self) -> Iterator[Any]:
        with self.transport.connect() as connection:
            outer = self

            class Counting:
                def send(self, message: PreparedMessage) -> None:
                    connection.send(message)
                    outer.sizes.append(len(message.data))
                    if len(outer.sizes) % 50 == 1:
                        outer.samples.append(message)

            yield Counting()

    def send(self, messages: Any) -> None:  # pragma: no cover - the sender uses connect()
        self.transport.send(messages)

    def median_sample(self) -> PreparedMessage:
        median = sorted(self.sizes)[len(self.sizes) // 2]
        return min(self.samples, key=lambda m: abs(len(m.data) - median))


def _rate_of(url: str, message: PreparedMessage, count: int) -> float:
    """The same server's rate for `count` copies of one ready message, over one connection."""
    return _replay_rate(url, [message], count)


def _replay_rate(url: str, messages: list[PreparedMessage], count: int) -> float:
    """The same server's rate for `count` ready messages taken in turn from `messages`,
    over one connection (the sender's way: one connection for the run)."""
    transport = SMTPTransport(url)
    start = time.perf_counter()
    with transport.connect() as connection:
        for n in range(count):
            connection.send(messages[n % len(messages)])
    return count / (time.perf_counter() - start)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (the SMTP server's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _first_digests(factory: Any, settings: Settings, now: dt.datetime) -> list[PreparedMessage]:
    """The digests of the first RAW_SAMPLE pending rows, built as the sender builds them
    (nothing written): real digests to time the server with before and after the run."""
    with factory() as db:
        work = select_work(db, now, limit=RAW_SAMPLE, user_ids=None)
        candidates = load_candidates(
            db,
            window_start=min(w.window_start for w in work),
            window_end=max(w.window_end for w in work),
            now=now,
        )
        built = build_batch(db, settings, work, candidates, now=now)
        db.rollback()
    return [message for message, _counts in built.messages.values()]


def run(console: Console) -> list[Result]:
    name = "digests"
    with tempfile.TemporaryDirectory(prefix="bench-digests-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'forum.sqlite3'}"
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        settings = Settings(
            data_dir=Path(tmp),
            database_url=url,
            secret_key="bench",
            base_url="https://forum.example",
        )
        started = time.perf_counter()
        with transaction(factory) as db:
            seed_sectors(db)
        with factory() as db:
            for _ in insert_intel_items(db, ITEMS, seed=SEED, years=1.0, bodies=False):
                db.commit()
        _members(factory, MEMBERS)
        console.print(
            f"{ITEMS:,} items and {MEMBERS:,} members in {time.perf_counter() - started:.1f} s"
        )

        port = _free_port()
        ctx = multiprocessing.get_context("spawn")
        count = ctx.Value("i", 0)
        ready, stop = ctx.Event(), ctx.Event()
        server = ctx.Process(target=_serve, args=(port, count, ready, stop), daemon=True)
        server.start()
        try:
            if not ready.wait(30):
                raise RuntimeError("the SMTP server did not start")
            smtp_url = f"smtp://127.0.0.1:{port}"
            raw = _raw_rate(smtp_url, settings)
            console.print(f"raw SMTP: {raw:,.0f} trivial messages/s over one connection")

            now = utcnow()
            with transaction(factory) as db:
                planned = len(due_members(db, now, settings=settings, force=True))
            rss_start = _rss_mb()
            peak = [rss_start]

            def sample(report: SendReport) -> None:
                if report.done % 250 == 0:
                    peak[0] = max(peak[0], _rss_mb())

            first = _first_digests(factory, settings, now)
            replay_before = _replay_rate(smtp_url, first, RAW_MESSAGES // 2)
            before = count.value
            sized = _Sizes(SMTPTransport(smtp_url))
            server_cpu = _cpu_seconds(server.pid or 0)
            cpu = time.process_time()
            start = time.perf_counter()
            report = send_pending(
                factory,
                settings,
                transport=sized,
                now=now,
                on_progress=sample,
            )
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu
            server_cpu = _cpu_seconds(server.pid or 0) - server_cpu
            peak[0] = max(peak[0], _rss_mb())
            received = count.value - before
            replay_after = _replay_rate(smtp_url, first, RAW_MESSAGES // 2)
            replay = (replay_before + replay_after) / 2
            median_message = sized.median_sample()
            raw_server_cpu = _cpu_seconds(server.pid or 0)
            raw_cpu = time.process_time()
            raw_median = _rate_of(smtp_url, median_message, RAW_MESSAGES // 2)
            raw_cpu = (time.process_time() - raw_cpu) / (RAW_MESSAGES // 2)
            raw_server_cpu = (_cpu_seconds(server.pid or 0) - raw_server_cpu) / (RAW_MESSAGES // 2)
            raw_digest = max(replay, raw_median)
            median_kb = len(median_message.data) / 1024
            first_kb = sum(len(m.data) for m in first) / len(first) / 1024
            sent_kb = sum(sized.sizes) / max(len(sized.sizes), 1) / 1024
            console.print(
                f"raw SMTP at a digest's size: the median sent ({median_kb:.0f} KiB) "
                f"{raw_median:,.0f}/s; {len(first)} real digests (mean {first_kb:.1f} KiB, "
                f"the run's mean {sent_kb:.1f} KiB) {replay_before:,.0f}/s before the run, "
                f"{replay_after:,.0f}/s after"
            )
        finally:
            stop.set()
            server.join(10)
        render_ms = _render_by_language(factory, settings, now)
        engine.dispose()

    rate = report.sent / seconds if seconds else 0.0
    ratio = rate / raw_digest if raw_digest else 0.0
    sent = max(report.sent, 1)
    cpu_ms, server_ms = cpu * 1000 / sent, server_cpu * 1000 / sent
    growth = peak[0] - rss_start
    console.print(
        f"{planned:,} planned: {report.sent:,} sent, {report.skipped:,} skipped, "
        f"{report.failed:,} failed in {seconds:.1f} s = {rate:,.0f}/s "
        f"({ratio:.2f} of the digest-sized raw rate, {rate / raw if raw else 0:.2f} of the "
        f"trivial one); server received {received:,}; RSS +{growth:.1f} MB; CPU per message: "
        f"sender {cpu_ms:.2f} ms, server {server_ms:.2f} ms (raw: client {raw_cpu * 1000:.2f}, "
        f"server {raw_server_cpu * 1000:.2f}); load average {os.getloadavg()[0]:.1f}"
    )
    size = f"{MEMBERS:,} members, {ITEMS:,} items"
    translation = render_ms["xx"] / render_ms["en"] - 1
    console.print(
        f"rendering a digest: {render_ms['en']:.2f} ms in English, {render_ms['xx']:.2f} ms "
        f"in the pseudo-locale ({translation:+.1%})"
    )
    return [
        Result(
            name,
            "render one digest, English",
            render_ms["en"],
            "ms",
            note=f"mean of {RENDER_ROUNDS} rounds over up to {RENDER_SAMPLE} built digests",
        ),
        Result(
            name,
            "render one digest, pseudo-locale xx",
            render_ms["xx"],
            "ms",
            note="the same digests, rounds alternating with English",
        ),
        Result(
            name,
            "translation cost (xx / en - 1)",
            translation * 100,
            "%",
            goal=f"< {GOAL_TRANSLATION:.0%}",
            note="PASS" if translation < GOAL_TRANSLATION else "MISS",
        ),
        Result(
            name,
            "digests sent per second",
            rate,
            "msg/s",
            note=f"{size}; {report.sent:,} sent, {report.skipped:,} empty (skipped) "
            f"in {seconds:.1f} s",
        ),
        Result(
            name,
            "raw SMTP rate, trivial message",
            raw,
            "msg/s",
            note=f"same aiosmtpd server (own process), {RAW_MESSAGES:,} over one connection",
        ),
        Result(
            name,
            "raw SMTP rate, digest-sized message",
            raw_digest,
            "msg/s",
            note=f"ready bytes, same server, one connection: the higher of {len(first)} real "
            f"digests replayed ({replay_before:,.0f}/s before the run, {replay_after:,.0f}/s "
            f"after) and the median digest sent ({median_kb:.0f} KiB, {raw_median:,.0f}/s)",
        ),
        Result(
            name,
            "digest rate / raw rate",
            ratio,
            "",
            goal=f">= {GOAL_RATIO}",
            note=("PASS" if ratio >= GOAL_RATIO else "MISS")
            + f"; of the digest-sized rate (issue 26); {rate / raw if raw else 0:.2f} of the "
            f"trivial message's",
        ),
        Result(
            name,
            "CPU per digest, sender",
            cpu_ms,
            "ms",
            note=f"building included; the server {server_ms:.2f} ms per digest; raw sending "
            f"costs the client {raw_cpu * 1000:.2f} ms and the server {raw_server_cpu * 1000:.2f} "
            f"ms; load average {os.getloadavg()[0]:.1f} (2 cores)",
        ),
        Result(
            name,
            "sender RSS growth",
            growth,
            "MB",
            goal=f"< {GOAL_RSS_MB:.0f} MB",
            note=("PASS" if growth < GOAL_RSS_MB else "MISS") + f"; {size}",
        ),
    ]
