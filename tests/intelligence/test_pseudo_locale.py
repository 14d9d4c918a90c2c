"""The intelligence pages in the reader's language: in the pseudo-locale `xx` every
label and sentence comes out "[àççéñţéđ]", dates through the formatter, and country
names are CLDR's common names in the reader's language."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.core import i18n
from forum.core.db import utcnow
from forum.intelligence.models import KIND_LABELS, IntelItem
from tests.conftest import Client, sign_in
from tests.i18n.pseudo import pseudo
from tests.intelligence.factories import make
from tests.taxonomy.pickers import pickers


def _call(db: Session, author: User, days_left: int = 5) -> int:
    """A published tender, tagged KR, whose deadline is `days_left` days away."""
    day = (utcnow() + dt.timedelta(days=days_left)).date()
    item = make(
        db, author, "Seoul smart-port tender", kind="tender", countries=["KR"],
        deadline=dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC),
    )  # fmt: skip
    db.commit()
    return item.id


def _deadline(db: Session, item_id: int) -> dt.date:
    item = db.get(IntelItem, item_id)
    assert item is not None and item.deadline is not None
    return item.deadline.date()


def test_the_list_in_the_pseudo_locale_shows_translated_labels_and_a_formatted_deadline(
    client: Client, db: Session, sectors: None, member: User, pseudo_locale: str
) -> None:
    item_id = _call(db, member)
    client.cookies.set("forum_lang", pseudo_locale)
    page = client.get("/intel").text
    assert f'<html lang="{pseudo_locale}"' in page
    assert f"<h1>{pseudo('Market intelligence')}</h1>" in page
    assert pseudo("Tender") in page, "the kind label"
    assert pseudo("Only calls and tenders still open") in page
    assert pseudo("Recently added") in page, "a sort option"
    assert f'id="facet-country">{pseudo("Country")}</h3>' in page
    assert pseudo("Apply dates") in page
    # The deadline, formatted then decorated, inside the translated sentence.
    day = _deadline(db, item_id)
    formatted = pseudo(f"{day.day} {day.strftime('%b %Y')}")
    assert pseudo("Closing soon: %(day)s") % {"day": formatted} in page
    assert day.strftime("%d %b %Y") not in page, "no strftime left"
    assert pseudo("South Korea") in page, "the country through the formatter"


def test_an_item_in_the_pseudo_locale_shows_its_facts_and_deadline_through_the_formatter(
    client: Client, db: Session, sectors: None, member: User, pseudo_locale: str
) -> None:
    item_id = _call(db, member)
    client.cookies.set("forum_lang", pseudo_locale)
    page = client.get(f"/intel/{item_id}").text
    assert pseudo("Closing soon") in page
    assert f"<dt>{pseudo('Deadline')}</dt>" in page
    day = _deadline(db, item_id)
    long_day = f"{day.day} {day.strftime('%B %Y')}"
    assert f"<dd>{pseudo(long_day)}</dd>" in page
    assert pseudo("Market intelligence") in page
    assert re.search(r"<dt>\[Àđđéđ\]</dt><dd>\[.*\]</dd>", page), "added on, by its author"
    member.language = pseudo_locale
    sign_in(client, db, member)
    own = client.get(f"/intel/{item_id}").text
    assert f'<h2 id="attachments">{pseudo("Files")}</h2>' in own
    assert re.search(r"ûþ ţö [^,]+, 10 ƒîĺéš þéŕ îţéɱ", own), "the panel's plural, by its count"


def test_an_item_page_in_english_is_as_before(
    client: Client, db: Session, sectors: None, member: User
) -> None:
    item_id = _call(db, member)
    page = client.get(f"/intel/{item_id}").text
    day = _deadline(db, item_id)
    assert "Closing soon" in page and "Tender" in page and "South Korea" in page
    assert f"<dd>{day.day} {day.strftime('%B %Y')}</dd>" in page, "CLDR's en_GB, no leading 0"


def test_country_names_are_cldr_names_in_the_readers_language(
    client: Client, db: Session, sectors: None, member: User, french: str
) -> None:
    item_id = _call(db, member)
    client.cookies.set("forum_lang", french)
    item = client.get(f"/intel/{item_id}").text
    assert ">Corée du Sud</a>" in item
    listed = client.get("/intel").text
    assert "Corée du Sud" in listed, "the tag and the country facet"
    assert "Korea, Republic of" not in listed
    member.language = french  # signed in, the profile chooses
    sign_in(client, db, member)
    form = client.get(f"/intel/{item_id}/edit").text
    countries = pickers(form)["countries"]
    assert countries.chosen == ["KR"]
    assert countries.option("KR").label == "Corée du Sud"


def test_the_atom_feed_is_written_in_the_readers_language(
    client: Client, db: Session, sectors: None, member: User, pseudo_locale: str
) -> None:
    _call(db, member)
    client.cookies.set("forum_lang", pseudo_locale)
    body = client.get("/feeds/intel.atom?country=KR").text
    assert (
        pseudo("%(title)s about %(places)s")
        % {
            "title": pseudo("Cluster Forum: intelligence"),
            "places": pseudo("South Korea"),
        }
        in body
    )
    assert "[Đéàđĺîñé: " in body, "the deadline line"
    client.cookies.clear()
    english = client.get("/feeds/intel.atom?country=KR&kind=tender").text
    assert "Cluster Forum: Tender about South Korea" in english


def test_published_items_are_counted_with_plural_rules(
    client: Client, db: Session, sectors: None, member: User, moderator: User, pseudo_locale: str
) -> None:
    moderator.language = pseudo_locale
    one = make(db, member, "One", status="draft")
    two = [make(db, member, f"Two {n}", status="draft") for n in range(2)]
    for item in (one, *two):
        item.status = "review"
    db.commit()
    sign_in(client, db, moderator)
    client.cookies.set("forum_lang", pseudo_locale)
    data = {"csrf_token": client.csrf_token(), "ids": [str(one.id)]}
    first = client.post("/intel/review/publish", data=data, follow_redirects=True)
    assert pseudo("Published %(num)s item.") % {"num": 1} in first.text
    data = {"csrf_token": client.csrf_token(), "ids": [str(i.id) for i in two]}
    second = client.post("/intel/review/publish", data=data, follow_redirects=True)
    assert pseudo("Published %(num)s items.") % {"num": 2} in second.text


def test_kind_labels_are_read_in_the_current_language(pseudo_locale: str) -> None:
    assert KIND_LABELS["tender"] == "Tender"
    with i18n.using(pseudo_locale):
        assert KIND_LABELS["tender"] == pseudo("Tender")
        assert KIND_LABELS.get("tender") == pseudo("Tender")
        assert KIND_LABELS.get("gossip", "gossip") == "gossip"
        assert " · ".join([KIND_LABELS["news"], "x"]) == f"{pseudo('News')} · x"
