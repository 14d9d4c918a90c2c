"""Loading intelligence items from a CSV or JSON file (`forum import csv|json FILE`).

The columns (CSV) or keys (JSON) are those of `POST /api/v1/intel` plus `status` and
`language`. Every row is checked before anything is kept: one bad row and nothing is
imported, unless the operator asks to skip the bad ones. Items already in the
repository (same web address, or the same title on the same day) are skipped and
reported. Everything happens in the caller's one transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.core import content_language
from forum.core.config import Settings
from forum.core.db import make_engine, make_session_factory
from forum.core.text import clean_line
from forum.intelligence import dedup, service, writes
from forum.intelligence.models import INTEL_KINDS, IntelItem
from forum.taxonomy.regions import UnknownCountryError, expand_codes
from forum.taxonomy.service import list_sectors, resolve_sectors

FIELDS = (
    "title",
    "summary",
    "body",
    "kind",
    "countries",
    "sectors",
    "url",
    "source_name",
    "source_url",
    "published_at",
    "deadline",
    "status",
    "language",
)
LIST_FIELDS = ("countries", "sectors")
IMPORT_STATUSES = ("published", "review", "draft")
FORMATS = ("csv", "json")
_SEPARATORS = re.compile(r"[;,]")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$")


class UnreadableFile(Exception):
    """The file cannot be read as a whole (exit code 2); the message says why and what to do."""


@dataclass(frozen=True)
class Row:
    """One record of the file. `number`: CSV row counting the header as row 1, or the
    position in the JSON list (first = 1); `line`: where a CSV record starts."""

    number: int
    values: dict[str, Any]
    line: int | None = None
    problems: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if self.line is None:
            return f"item {self.number}"
        if self.line != self.number:
            return f"row {self.number} (line {self.line})"
        return f"row {self.number}"


@dataclass(frozen=True)
class Problem:
    number: int
    label: str
    messages: tuple[str, ...]

    @property
    def line(self) -> str:
        return f"[red]{escape(self.label)}:[/red] {escape('; '.join(self.messages))}"


@dataclass(frozen=True)
class Duplicate:
    number: int
    label: str
    item_id: int
    reason: str

    @property
    def line(self) -> str:
        return f"{escape(self.label)}: skipped, already item {self.item_id} ({self.reason})"


@dataclass
class ImportReport:
    rows: int = 0
    created: list[int] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    invalid: list[Problem] = field(default_factory=list)


# --- reading ------------------------------------------------------------------------------


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); UnreadableFile naming the bad byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile(
            f"{name} is saved as UTF-16: save it as UTF-8 "
            '(in Excel: "CSV UTF-8 (comma delimited)") and try again.'
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnreadableFile(
            f"{name} is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} cannot be "
            "read (a Windows-1252 or Latin-1 file?). Save it as UTF-8 "
            '(in Excel: "CSV UTF-8 (comma delimited)") and try again.'
        ) from exc


def read_rows(path: Path, fmt: str) -> list[Row]:
    """The file's records; UnreadableFile when it cannot be read or is not shaped right."""
    if fmt not in FORMATS:
        raise UnreadableFile(f"Unknown format {fmt!r}: use csv or json.")
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise UnreadableFile(f"There is no file {path}.") from exc
    except OSError as exc:
        raise UnreadableFile(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    text = decode(data, path.name)
    if not text.strip():
        raise UnreadableFile(f"{path.name} is empty.")
    return _csv_rows(text, path.name) if fmt == "csv" else _json_rows(text, path.name)


def _delimiter(header_line: str) -> str:
    """Commas, or the semicolons (or tabs) that spreadsheets in many EU locales write."""
    for candidate in (";", "\t"):
        if candidate in header_line and "," not in header_line:
            return candidate
    return ","


def _csv_rows(text: str, name: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]))
    try:
        header = next(reader)
        columns = [c.strip().lower() for c in header]
        unknown = [c for c in columns if c and c not in FIELDS]
        if unknown:
            raise UnreadableFile(
                f"{name}: unknown column{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(repr(c) for c in unknown)}; the columns are {', '.join(FIELDS)}."
            )
        if "title" not in columns:
            raise UnreadableFile(
                f"{name} has no title column; the columns are {', '.join(FIELDS)}."
            )
        doubled = sorted({c for c in columns if c and columns.count(c) > 1})
        if doubled:
            raise UnreadableFile(f"{name}: the column {doubled[0]!r} appears twice.")
        rows = []
        number, line = 1, reader.line_num + 1
        for cells in reader:
            number += 1
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # a blank line or a spreadsheet's empty row
            problems: tuple[str, ...] = ()
            if len(cells) > len(columns):
                problems = (f"{len(cells)} cells for {len(columns)} columns (a stray separator?)",)
            values = {c: v for c, v in zip(columns, cells, strict=False) if c}
            rows.append(Row(number, values, line=start, problems=problems))
    except csv.Error as exc:
        raise UnreadableFile(
            f"{name} is not valid CSV near line {reader.line_num}: {exc}."
        ) from exc
    return rows


def _json_rows(text: str, name: str) -> list[Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise UnreadableFile(f'{name} must hold a list of items (or {{"items": [...]}}).')
    rows = []
    for number, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            rows.append(Row(number, {}, problems=("not an object with the item's fields",)))
            continue
        unknown = sorted(str(k) for k in entry if k not in FIELDS)
        problems = tuple(f"{key}: unknown field" for key in unknown)
        rows.append(Row(number, {k: v for k, v in entry.items() if k in FIELDS}, problems=problems))
    return rows


# --- checking a row -------------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    data: writes.ItemInput
    status: str


def _text(values: dict[str, Any], key: str, problems: list[str]) -> str:
    value = values.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(f"{key}: give text, not {type(value).__name__}")
        return ""
    return value.strip()


def _list(values: dict[str, Any], key: str, problems: list[str]) -> list[str]:
    value = values.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in _SEPARATORS.split(value) if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    problems.append(f"{key}: give a list of codes")
    return []


def parse_moment(value: str) -> dt.datetime:
    """An ISO date (midnight UTC) or date and time (UTC when no offset is given)."""
    if len(value) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time.min, tzinfo=dt.UTC)
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parse_row(row: Row, sector_slugs: set[str], db: Session) -> Parsed | list[str]:
    """The item a row describes, or every problem found in it (as "field: what is wrong")."""
    problems = list(row.problems)
    values = row.values
    texts = {
        key: _text(values, key, problems)
        for key in FIELDS
        if key not in (*LIST_FIELDS, "body", "published_at", "deadline")
    }
    if not texts["title"]:
        problems.append("title: missing")
    body = values.get("body") or ""
    if not isinstance(body, str):
        problems.append(f"body: give text, not {type(body).__name__}")
    kind = texts["kind"] or "news"
    if kind not in INTEL_KINDS:
        problems.append(f"kind: {kind!r} is not one of {', '.join(INTEL_KINDS)}")
    status = texts["status"].lower() or "published"
    if status not in IMPORT_STATUSES:
        problems.append(f"status: {status!r} is not one of {', '.join(IMPORT_STATUSES)}")
    language = texts["language"]
    if language and not (_LANGUAGE.match(language) and content_language.declared(language)):
        problems.append(f"language: {language!r} is not a language code such as en or pt-BR")
    countries: list[str] = []
    for code in _list(values, "countries", problems):
        try:
            countries.extend(expand_codes([code]))
        except UnknownCountryError:
            problems.append(
                f"countries: {code!r} is neither an ISO country code nor a region group"
            )
    slugs = [s.lower() for s in _list(values, "sectors", problems)]
    for slug in slugs:
        if slug not in sector_slugs:
            problems.append(f"sectors: unknown sector {slug!r}")
    moments: dict[str, dt.datetime | None] = {}
    for key in ("published_at", "deadline"):
        raw = _text(values, key, problems)
        try:
            moments[key] = parse_moment(raw) if raw else None
        except ValueError:
            problems.append(f"{key}: {raw!r} is not an ISO date (YYYY-MM-DD)")
            moments[key] = None
    if problems:
        return problems
    return Parsed(
        writes.ItemInput(
            title=texts["title"],
            kind=kind,
            summary=texts["summary"],
            body=body,
            countries=sorted(set(countries)),
            sectors=resolve_sectors(db, slugs),
            url=texts["url"] or None,
            source_name=texts["source_name"] or None,
            source_url=texts["source_url"] or None,
            language=content_language.declared(language),
            published_at=moments["published_at"],
            deadline=moments["deadline"],
        ),
        status,
    )


# --- importing ------------------------------------------------------------------------------


def import_rows(
    db: Session,
    rows: Sequence[Row],
    *,
    source_note: str,
    skip_invalid: bool = False,
    progress: Callable[[], None] | None = None,
) -> ImportReport:
    """Check every row, then keep the valid new items (flushed, not committed).

    When a row is invalid and `skip_invalid` is False, nothing is created: the report's
    `created` is empty and the caller must roll back. Rows that duplicate an item (in the
    repository or earlier in the file) are skipped and listed.
    """
    report = ImportReport(rows=len(rows))
    sector_slugs = {s.slug for s in list_sectors(db)}
    for row in rows:
        parsed = parse_row(row, sector_slugs, db)
        if isinstance(parsed, list):
            report.invalid.append(Problem(row.number, row.label, tuple(parsed)))
        else:
            _import_one(db, row, parsed, source_note, report)
        if progress is not None:
            progress()
    if report.invalid and not skip_invalid:
        report.created.clear()
        report.duplicates.clear()
    return report


def _import_one(
    db: Session, row: Row, parsed: Parsed, source_note: str, report: ImportReport
) -> None:
    data = parsed.data
    found, reason = find_existing(db, data)
    if found is not None:
        report.duplicates.append(Duplicate(row.number, row.label, found.id, reason))
        return
    try:
        with db.begin_nested():
            item = writes.create_imported_item(
                db, data, status=parsed.status, source_note=source_note
            )
    except service.IntelError as exc:
        where = f"{exc.field}: " if exc.field else ""
        report.invalid.append(Problem(row.number, row.label, (f"{where}{exc}",)))
        return
    report.created.append(item.id)


def find_existing(db: Session, data: writes.ItemInput) -> tuple[IntelItem | None, str]:
    """The item this row would duplicate, and why it counts as the same.

    `find_duplicate` (same canonical address, or same title on the same day); a row with
    neither an address nor a date matches an item with neither and the same title, so
    importing one file twice adds nothing.
    """
    day = data.published_at.date() if data.published_at else None
    found = dedup.find_duplicate(db, url=data.url, title=data.title, day=day)
    if found is not None:
        same_url = bool(data.url) and found.canonical_url == dedup.canonical_url(data.url)
        return found, "same web address" if same_url else "same title on the same day"
    if data.url or day:
        return None, ""
    undated = db.scalar(
        select(IntelItem)
        .where(
            IntelItem.title == clean_line(data.title),
            IntelItem.url.is_(None),
            IntelItem.published_at.is_(None),
        )
        .limit(1)
    )
    return undated, "same title, neither address nor date"


def source_note_for(path: Path, today: dt.date | None = None) -> str:
    return f"Imported from {path.name} on {(today or dt.datetime.now(dt.UTC).date()).isoformat()}"


# --- the command ----------------------------------------------------------------------------


def run_import(
    settings: Settings, path: Path, fmt: str, *, skip_invalid: bool, console: Console
) -> int:
    """`forum import csv|json FILE`: answers the exit code (0 ok, 1 invalid rows, 2 unreadable)."""
    try:
        rows = read_rows(path, fmt)
    except UnreadableFile as exc:
        console.print(f"[red]error:[/red] {escape(str(exc))}")
        return 2
    engine = make_engine(settings.resolved_database_url, pool=False)
    factory = make_session_factory(engine)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    try:
        with factory() as session, Progress(*columns, console=console) as bar:
            task = bar.add_task(f"checking {path.name}", total=len(rows))
            report = import_rows(
                session,
                rows,
                source_note=source_note_for(path),
                skip_invalid=skip_invalid,
                progress=lambda: bar.advance(task),
            )
            keep = not report.invalid or skip_invalid
            if keep:
                session.commit()
            else:
                session.rollback()
    finally:
        engine.dispose()
    notes: list[Problem | Duplicate] = [*report.invalid, *report.duplicates]
    for note in sorted(notes, key=lambda n: n.number):
        console.print(note.line)
    if not keep:
        console.print(
            f"[red]error:[/red] {len(report.invalid)} of {report.rows} rows "
            f"{'is' if len(report.invalid) == 1 else 'are'} invalid: "
            "nothing was imported. Fix them, or import the others with --skip-invalid."
        )
        return 1
    skipped = f", {len(report.invalid)} invalid skipped" if report.invalid else ""
    console.print(
        f"imported {_count(len(report.created), 'item')} from {escape(path.name)} "
        f"({_count(len(report.duplicates), 'duplicate')} skipped{skipped})"
    )
    return 0


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
