"""Admin pages in the pseudo-locale `xx`: the platform team reads them in its language
too. Labels pass through gettext, the log's moments through |datetime (the reader's time
zone), counts through |number."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.accounts.models import User
from tests.admin.test_audit import add_entry
from tests.conftest import Client
from tests.i18n.pseudo import pseudo


def test_the_audit_log_in_the_pseudo_locale(
    as_admin: Client, db: Session, admin: User, pseudo_locale: str
) -> None:
    add_entry(db, admin, 3)
    admin.language = pseudo_locale
    db.flush()
    html = as_admin.get("/admin/audit").text
    assert f'<html lang="{pseudo_locale}"' in html
    assert f"<h1>{pseudo('Audit log')}</h1>" in html
    assert f'<th scope="col">{pseudo("When")}</th>' in html
    # 09:03 UTC read in Brussels (UTC+1 in March), formatted as CLDR writes it.
    assert f">{pseudo('2 Mar 2026, 10:03')}</time>" in html
    # The action code and the reason stay as recorded.
    assert "test.action3" in html and "Reason 3" in html


def test_the_dashboard_counts_in_the_pseudo_locale(
    as_admin: Client, db: Session, admin: User, pseudo_locale: str
) -> None:
    admin.language = pseudo_locale
    db.flush()
    html = as_admin.get("/admin").text
    assert f"<h1>{pseudo('Admin')}</h1>" in html
    assert f'<span class="stat-number">{pseudo("1")}</span>' in html
    assert pseudo("with an unconfirmed address") in html


def test_a_category_count_is_a_plural(as_admin: Client, db: Session) -> None:
    from forum.discussions.models import Category

    db.query(Category).delete()
    db.add(Category(slug="one", name="One", position=1))
    db.flush()
    assert "1 category, in the order members see them" in as_admin.get("/admin/categories").text
    db.add(Category(slug="two", name="Two", position=2))
    db.flush()
    assert "2 categories, in the order members see them" in as_admin.get("/admin/categories").text
