"""Authorization, checked row by row from docs/permissions.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from forum.partnerships.service import get_partnership_by_slug
from tests.conftest import Client

DOC = Path(__file__).resolve().parent.parent / "docs" / "permissions.md"
ROLES = ("anonymous", "member", "coordinator", "moderator", "admin")
# Roles the suite can act as today; accounts add the others.
TESTABLE_ROLES = ("anonymous",)


def permission_rows() -> list[tuple[str, str, str, dict[str, bool]]]:
    """(action, method, path, {role: allowed}) for every table row with a route."""
    rows = []
    for line in DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 + len(ROLES) or not re.match(r"^[A-Z]+ /", cells[1]):
            continue
        method, path = cells[1].split(" ", 1)
        verdicts = dict(zip(ROLES, cells[2:], strict=True))
        assert set(verdicts.values()) <= {"yes", "no"}, line
        rows.append((cells[0], method, path, {r: v == "yes" for r, v in verdicts.items()}))
    return rows


def _resolve(db: Session, path: str) -> str:
    """Replace `{slug.id}` with the id of the partnership with that slug."""

    def partnership_id(match: re.Match[str]) -> str:
        found = get_partnership_by_slug(db, match.group(1))
        assert found is not None, match.group(0)
        return str(found.id)

    return re.sub(r"\{([a-z0-9-]+)\.id\}", partnership_id, path)


def test_the_permissions_table_is_parsed() -> None:
    rows = permission_rows()
    assert len(rows) >= 10
    assert ("Browse the partnership directory", "GET", "/partnerships") in [r[:3] for r in rows]


@pytest.mark.parametrize("role", TESTABLE_ROLES)
@pytest.mark.parametrize(
    ("action", "method", "path", "allowed"),
    permission_rows(),
    ids=[row[0] for row in permission_rows()],
)
def test_each_role_gets_exactly_what_the_table_says(
    client: Client,
    demo_db: Session,
    role: str,
    action: str,
    method: str,
    path: str,
    allowed: dict[str, bool],
) -> None:
    response = client.request(method, _resolve(demo_db, path))
    if allowed[role]:
        assert response.status_code < 400, f"{role} should be able to {action.lower()}"
    else:
        to_login = response.status_code == 303 and response.headers["location"].startswith("/login")
        assert response.status_code in (401, 403, 404) or to_login, (
            f"{role} must not {action.lower()}"
        )
