"""`forum import csv|json FILE`: every row checked first, row numbers in the report,
all or nothing unless --skip-invalid, duplicates skipped, clear exit codes (issue 6).

Runs the real command through typer's CliRunner against a migrated database of its own.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from forum.cli import app
from forum.core.db import make_engine
from forum.core.outbox import SearchOutbox
from forum.intelligence import writes as intel_writes
from forum.intelligence.models import IntelItem
from forum.taxonomy.regions import expand_codes
from forum.taxonomy.service import seed_sectors

HEADER = "title,summary,kind,countries,sectors,url,source_name,published_at,deadline,status\n"


@pytest.fixture
def database(scratch_url: str) -> Iterator[Engine]:
    engine = make_engine(scratch_url)
    with Session(engine) as session:
        seed_sectors(session)
        session.commit()
    yield engine
    engine.dispose()


Run = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path, scratch_url: str, database: Engine) -> Run:
    """`forum import ARGS...` against the scratch database, as an operator would run it."""
    runner = CliRunner()
    env = {"FORUM_DATA_DIR": str(tmp_path / "data"), "FORUM_DATABASE_URL": scratch_url}

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["import", *args], env=env)

    return invoke


def items(engine: Engine) -> list[IntelItem]:
    with Session(engine, expire_on_commit=False) as session:
        found = session.scalars(select(IntelItem).order_by(IntelItem.id)).all()
        for item in found:  # load what the tests read
            _ = item.country_codes, [s.slug for s in item.sectors]
        return list(found)


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def out(result: Result) -> str:
    """What the operator sees (the command writes to standard error), on one line per message."""
    return result.output


def test_a_csv_file_with_a_bom_is_imported_with_its_tags(
    run: Run, tmp_path: Path, database: Engine
) -> None:
    path = write(
        tmp_path,
        "items.csv",
        "\ufeff"
        + HEADER
        + "Gulf smart mobility tender,Rail and bus systems,tender,g:gcc,smart-mobility;railway,"
        "https://example.eu/tenders/1,Example Agency,2026-03-02,2026-05-31,\n"
        'Estonian offshore wind study,"Ports, grid, supply chain",market_study,EE;LV,'
        "energy,https://example.eu/studies/2,Example Institute,2026-02-10,,review\n",
    )
    result = run("csv", str(path))
    assert result.exit_code == 0, out(result)
    assert "imported 2 items from items.csv (0 duplicates skipped)" in out(result)
    tender, study = items(database)
    assert tender.kind == "tender" and tender.status == "published"
    assert tender.country_codes == ["AE", "BH", "KW", "OM", "QA", "SA"]
    assert sorted(s.slug for s in tender.sectors) == ["railway", "smart-mobility"]
    assert tender.published_at == dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    assert tender.deadline == dt.datetime(2026, 5, 31, tzinfo=dt.UTC)
    assert tender.author_id is None and tender.source_name == "Example Agency"
    assert tender.source_note == f"Imported from items.csv on {dt.datetime.now(dt.UTC).date()}"
    assert study.status == "review" and study.summary == "Ports, grid, supply chain"
    assert study.country_codes == ["EE", "LV"]
    with Session(database) as session:
        queued = list(session.scalars(select(SearchOutbox.doc_id)))
    assert queued == [f"intel:{tender.id}"]  # items in review are not searchable yet


def test_every_invalid_row_is_reported_by_number_and_nothing_is_imported(
    run: Run, tmp_path: Path, database: Engine
) -> None:
    path = write(
        tmp_path,
        "bad.csv",
        HEADER
        + "A good row,,news,JP,food,https://example.eu/a,,2026-01-05,,\n"
        + "Unknown country,,news,XX;JP,,,,,,\n"
        + "Two problems,,news,,aerospace,,,05/01/2026,,\n"
        + ",,gossip,,,,,,,secret\n"
        + "News with a deadline,,news,,,,,,2026-09-01,\n",
    )
    result = run("csv", str(path))
    assert result.exit_code == 1
    text = out(result)
    assert "row 2" not in text
    assert "row 3: countries: 'XX' is neither an ISO country code nor a region group" in text
    assert "row 4: sectors: unknown sector 'aerospace'; published_at: '05/01/2026'" in text
    assert "row 5: title: missing; kind: 'gossip' is not one of" in text
    assert "status: 'secret' is not one of published, review, draft" in text
    assert "row 6: deadline: Only calls and tenders have a deadline." in text
    assert "4 of 5 rows are invalid: nothing was imported" in text
    assert items(database) == []


def test_skip_invalid_imports_the_valid_rows_and_lists_the_others(
    run: Run, tmp_path: Path, database: Engine
) -> None:
    path = write(
        tmp_path,
        "mixed.csv",
        HEADER + "Kept,,news,JP,,,,,,\nDropped,,news,XX,,,,,,\nAlso kept,,report,,,,,,,draft\n",
    )
    result = run("csv", str(path), "--skip-invalid")
    assert result.exit_code == 0, out(result)
    assert "row 3: countries: 'XX'" in out(result)
    assert "imported 2 items from mixed.csv (0 duplicates skipped, 1 invalid skipped)" in out(
        result
    )
    assert [(i.title, i.status) for i in items(database)] == [
        ("Kept", "published"),
        ("Also kept", "draft"),
    ]

    # Neither address nor date: the same title counts as the same item on a second run.
    again = run("csv", str(path), "--skip-invalid")
    assert "row 2: skipped, already item" in out(again)
    assert "imported 0 items from mixed.csv (2 duplicates skipped, 1 invalid skipped)" in out(again)
    assert len(items(database)) == 2


def test_duplicates_in_the_repository_and_in_the_file_are_skipped(
    run: Run, tmp_path: Path, database: Engine
) -> None:
    with Session(database) as session:
        existing = intel_writes.create_imported_item(
            session,
            intel_writes.ItemInput(title="Already here", url="https://example.eu/news/7"),
            status="published",
        )
        session.commit()
        existing_id = existing.id
    path = write(
        tmp_path,
        "again.csv",
        HEADER
        + "Same page,,news,,,https://EXAMPLE.eu/news/7/?utm_source=mail,,,,\n"
        + "New page,,news,,,https://example.eu/news/8,,2026-04-01,,\n"
        + "new page!,,news,,,,,2026-04-01,,\n",
    )
    result = run("csv", str(path))
    assert result.exit_code == 0, out(result)
    text = out(result)
    assert f"row 2: skipped, already item {existing_id} (same web address)" in text
    assert "row 4: skipped, already item" in text and "(same title on the same day)" in text
    assert "imported 1 item from again.csv (2 duplicates skipped)" in text
    assert [i.title for i in items(database)] == ["Already here", "New page"]

    # Importing the same file again adds nothing.
    again = run("csv", str(path))
    assert again.exit_code == 0 and "imported 0 items" in out(again)
    assert len(items(database)) == 2


def test_a_json_list_is_imported_and_its_items_are_numbered_from_one(
    run: Run, tmp_path: Path, database: Engine
) -> None:
    good = {
        "title": "Healthcare cluster mission to Chile",
        "summary": "Outcomes of a mission",
        "body": "**Notes** from the visit.",
        "kind": "event_report",
        "countries": ["CL", "g:mercosur"],
        "sectors": ["healthcare"],
        "url": "https://example.eu/missions/cl",
        "published_at": "2026-02-01T09:30:00+01:00",
        "language": "es",
    }
    bad = {"title": "Typo", "countrys": ["JP"], "countries": "JP", "published_at": 2026}
    path = write(tmp_path, "items.json", json.dumps([good, bad]))
    result = run("json", str(path))
    assert result.exit_code == 1
    assert "item 2: countrys: unknown field; published_at: give text, not int" in out(result)
    assert items(database) == []

    path.write_text(json.dumps({"items": [good]}))
    result = run("json", str(path))
    assert result.exit_code == 0, out(result)
    (item,) = items(database)
    assert item.country_codes == expand_codes(["CL", "g:mercosur"])
    assert {"CL", "BR", "UY"} <= set(item.country_codes)
    assert item.language == "es" and "<strong>Notes</strong>" in item.body_html
    assert item.published_at == dt.datetime(2026, 2, 1, 8, 30, tzinfo=dt.UTC)


def test_semicolon_separated_files_and_multi_line_cells_keep_their_row_numbers(
    run: Run, tmp_path: Path, database: Engine
) -> None:
    path = write(
        tmp_path,
        "excel.csv",
        "title;summary;countries\n"
        'Two-line summary;"First line\nsecond line";FR,DE\n'
        "Bad country;;ZZ\n",
    )
    result = run("csv", str(path))
    assert result.exit_code == 1
    assert "row 3 (line 4): countries: 'ZZ'" in out(result)
    result = run("csv", str(path), "--skip-invalid")
    assert result.exit_code == 0
    (item,) = items(database)
    assert item.summary == "First line\nsecond line" and item.country_codes == ["DE", "FR"]


@pytest.mark.parametrize(
    ("name", "content", "encoding", "message"),
    [
        ("latin1.csv", HEADER + "Café à Paris,,,,,,,,,\n", "latin-1", "is not UTF-8 text"),
        ("utf16.csv", HEADER + "Title,,,,,,,,,\n", "utf-16", "saved as UTF-16"),
        ("broken.json", '[{"title": "x",}]', "utf-8", "is not valid JSON"),
        ("object.json", '{"title": "x"}', "utf-8", "must hold a list of items"),
        ("columns.csv", "title,contries\nx,JP\n", "utf-8", "unknown column 'contries'"),
        ("untitled.csv", "summary\nx\n", "utf-8", "has no title column"),
        ("empty.csv", "", "utf-8", "is empty"),
    ],
)
def test_an_unreadable_file_exits_2_with_a_clear_message(
    run: Run,
    tmp_path: Path,
    database: Engine,
    name: str,
    content: str,
    encoding: str,
    message: str,
) -> None:
    path = write(tmp_path, name, content, encoding)
    result = run(name.rsplit(".", 1)[1], str(path))
    assert result.exit_code == 2
    assert message in out(result)
    assert items(database) == []


def test_a_missing_file_exits_2(run: Run, tmp_path: Path, database: Engine) -> None:
    result = run("csv", str(tmp_path / "nowhere.csv"))
    assert result.exit_code == 2 and "There is no file" in out(result)
    with Session(database) as session:
        assert session.scalar(select(func.count()).select_from(IntelItem)) == 0
