"""Country and sector pages and their API: intelligence, partnerships and discussions together."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy.orm import Session

from forum.accounts.api_tokens import create_api_token
from forum.accounts.models import User
from forum.core.db import utcnow
from forum.discussions import moderation
from forum.discussions.models import Category
from forum.intelligence import counts, writes
from forum.partnerships.models import Partnership
from forum.taxonomy.service import resolve_sectors
from tests.conftest import Client, Threads, sign_in
from tests.intelligence.factories import make
from tests.security.htmlcheck import script_risks

HOSTILE = '<img src=x onerror=alert(1)>"><script>alert(1)</script>'


def partnership(db: Session, name: str, countries: list[str], sectors: list[str]) -> Partnership:
    p = Partnership(slug=name.lower().replace(" ", "-"), name=name, strand=1)
    p.set_countries(countries)
    p.sectors = resolve_sectors(db, sectors)
    db.add(p)
    db.flush()
    return p


def section(page: str, heading_id: str) -> str:
    """The HTML of the page's <section> labelled by `heading_id`."""
    found = re.search(rf'<section aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    assert found, heading_id
    return found.group(1)


@pytest.fixture
def japan(
    db: Session,
    member: User,
    moderator: User,
    threads: Threads,
    members_only: Category,
) -> dict[str, Any]:
    """Japan with something of everything, visible and not."""
    now = utcnow()
    old = make(db, member, "Japan food import rules", kind="regulation",
               added_at=now - dt.timedelta(days=3))  # fmt: skip
    new = make(db, member, "Tender for cold chain in Osaka", kind="tender",
               deadline=now + dt.timedelta(days=5), added_at=now - dt.timedelta(days=1))  # fmt: skip
    closed = make(db, member, "Closed call for Japanese retail", kind="funding_call",
                  deadline=now - dt.timedelta(days=2), added_at=now - dt.timedelta(days=2))  # fmt: skip
    make(db, member, "Private draft about Japan", status="draft")
    review = make(db, member, "Waiting for review about Japan")
    withdrawn = make(db, member, "Withdrawn item about Japan")
    writes.set_status(db, moderator, review, "review")
    writes.set_status(db, moderator, withdrawn, "withdrawn", reason="Wrong")
    make(db, member, "Global outlook", countries=[], is_global=True)
    make(db, member, "Korea only", countries=["KR"])
    partnership(db, "Pacific Food Alliance", ["JP", "KR"], ["food"])
    partnership(db, "Health Bridge", ["US"], ["healthcare"])
    threads.start(member, title="Who exhibits at FOODEX Japan?")
    threads.start(member, title="Staff notes on Japan", category=members_only)
    hidden = threads.start(member, title="Spam about Japan")
    moderation.hide_thread(db, moderator, hidden, reason="spam")
    db.flush()
    return {"items": [new, closed, old]}


def test_the_country_page_gathers_published_items_partnerships_and_threads(
    client: Client, db: Session, japan: dict[str, Any]
) -> None:
    response = client.get("/countries/JP")
    assert response.status_code == 200
    page = response.text
    intel = section(page, "intel-heading")
    # Newest added first, with kind and deadline badges.
    assert [intel.index(i.title) for i in japan["items"]] == sorted(
        intel.index(i.title) for i in japan["items"]
    )
    assert "Closing soon:" in intel and ">Tender<" in intel
    assert '<span class="badge">Closed</span>' in intel
    for hidden in ("Private draft", "Waiting for review", "Withdrawn item", "Global outlook",
                   "Korea only"):  # fmt: skip
        assert hidden not in page
    assert 'href="/intel?country=JP">All 3 items about Japan</a>' in intel
    assert 'href="/feeds/intel.atom?country=JP"' in intel
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Intelligence about Japan (Atom)"'
        ' href="/feeds/intel.atom?country=JP">'
    ) in page
    who = section(page, "who-heading")
    assert "Pacific Food Alliance" in who and "Health Bridge" not in who
    assert 'href="/partnerships?country=JP">All 1 partnership</a>' in who
    talk = section(page, "threads-heading")
    assert "Who exhibits at FOODEX Japan?" in talk
    assert "Staff notes on Japan" not in talk and "Spam about Japan" not in talk
    assert 'href="/discussions?country=JP">All 1 discussion about Japan</a>' in talk
    assert "Log in to follow Japan" in page


def test_members_see_members_only_threads_and_a_follow_button(
    client: Client, db: Session, japan: dict[str, Any], other_member: User
) -> None:
    sign_in(client, db, other_member)
    page = client.get("/countries/JP").text
    talk = section(page, "threads-heading")
    assert "Staff notes on Japan" in talk and "Spam about Japan" not in talk
    assert "All 2 discussions about Japan" in talk
    assert 'action="/follow"' in page and "Follow Japan" in page
    # Drafts stay off the page even for their author's colleagues, and for moderators.
    assert "Private draft" not in page


def test_the_linked_full_lists_show_what_the_page_counts(
    client: Client, db: Session, japan: dict[str, Any]
) -> None:
    discussions = client.get("/discussions?country=JP")
    assert discussions.status_code == 200
    assert "Who exhibits at FOODEX Japan?" in discussions.text
    assert "Staff notes on Japan" not in discussions.text
    intel = client.get("/intel?country=JP").text
    for item in japan["items"]:
        assert item.title in intel
    assert client.get("/partnerships?country=JP").status_code == 200


def test_a_country_with_nothing_shows_an_empty_state_for_each_list(
    client: Client, db: Session, categories: dict[str, Category]
) -> None:
    page = client.get("/countries/FR").text
    assert page.count('class="empty-state"') == 5
    assert "No intelligence about France yet" in page
    assert "No partnership targets France yet" in page
    assert "No discussion about France yet" in page
    assert "No upcoming event about France yet" in page
    assert "No cooperation agreement with a counterpart in France is recorded" in page
    assert 'href="/events.ics?country=FR"' in page
    assert 'href="/feeds/intel.atom?country=FR"' in page


def test_a_busy_country_counts_up_to_the_cap_and_still_lists_the_newest(
    client: Client, db: Session, sectors: None, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(counts, "COUNT_CAP", 3)
    start = utcnow() - dt.timedelta(days=30)
    for n in range(5):
        make(db, member, f"Busy item {n}", added_at=start + dt.timedelta(days=n))
    make(db, member, "Newest draft", status="draft", added_at=utcnow())
    intel = section(client.get("/countries/JP").text, "intel-heading")
    assert "All 3+ items about Japan" in intel
    shown = re.findall(r'card-title"><a href="/intel/\d+">(Busy item \d)', intel)
    assert shown == ["Busy item 4", "Busy item 3", "Busy item 2", "Busy item 1", "Busy item 0"]
    monkeypatch.setattr(counts, "COUNT_CAP", 5)
    assert "All 5 items about Japan" in client.get("/countries/JP").text


def test_hostile_titles_render_inert_on_country_and_sector_pages(
    client: Client, db: Session, member: User, threads: Threads
) -> None:
    make(db, member, HOSTILE, summary=HOSTILE, source_name=HOSTILE)
    threads.start(member, title=HOSTILE)
    for url in ("/countries/JP", "/sectors/food", "/countries"):
        page = client.get(url).text
        assert script_risks(page) == [], url


def test_the_sector_page_lists_items_partnerships_threads_and_markets(
    client: Client, db: Session, japan: dict[str, Any]
) -> None:
    page = client.get("/sectors/food").text
    intel = section(page, "intel-heading")
    assert "Tender for cold chain in Osaka" in intel and "Korea only" in intel
    assert "Global outlook" in intel  # tagged with the sector, whatever its countries
    assert "Private draft" not in page
    assert 'href="/intel?sector=food">All 5 items in Food industry</a>' in intel
    assert "Pacific Food Alliance" in section(page, "who-heading")
    assert "Who exhibits at FOODEX Japan?" in section(page, "threads-heading")
    markets = section(page, "markets-heading")
    assert "Japan" in markets and "South Korea" in markets and "United States" not in markets
    assert 'href="/feeds/intel.atom?sector=food"' in page
    assert client.get("/sectors/nothing").status_code == 404


def test_the_countries_index_counts_and_groups_by_region(
    client: Client, db: Session, japan: dict[str, Any]
) -> None:
    response = client.get("/countries")
    assert response.status_code == 200
    page = response.text
    top = section(page, "top-heading")
    # Japan: 3 published items, 1 partnership, 1 public thread; then Korea: 1, 1, 0.
    assert re.search(
        r'href="/countries/JP">Japan</a></td><td class="numeric">3</td>'
        r'<td class="numeric">1</td><td class="numeric">1</td>', top
    )  # fmt: skip
    assert top.index("Japan") < top.index("South Korea") < top.index("United States")
    regions = section(page, "regions-heading")
    captions = [c.strip() for c in re.findall(r"<caption>([^<]+)", regions)]
    assert captions[:3] == ["European Union (27)", "Other European countries", "North America"]
    east_asia = regions[regions.index("<caption>East Asia") :]
    assert east_asia.index("Japan") < east_asia.index("</table>")
    # Every country once.
    assert len(re.findall(r'href="/countries/[A-Z]{2}"', regions)) == 249
    assert "g:asean" in page


def test_the_countries_api_adds_counts_and_keeps_its_fields(
    client: Client, db: Session, japan: dict[str, Any], other_member: User
) -> None:
    countries = {c["code"]: c for c in client.get("/api/v1/countries").json()}
    assert len(countries) == 249
    assert countries["JP"] == {
        "code": "JP", "name": "Japan", "partnerships": 1, "groups": countries["JP"]["groups"],
        "intel_items": 3, "discussions": 1,
    }  # fmt: skip
    assert "g:east-asia" in countries["JP"]["groups"]
    assert countries["FR"]["intel_items"] == 0
    raw, _ = create_api_token(db, other_member, name="tests")
    db.flush()
    signed = {c["code"]: c for c in client.get(
        "/api/v1/countries", headers={"Authorization": f"Bearer {raw}"}).json()}  # fmt: skip
    assert signed["JP"]["discussions"] == 2


def test_the_country_api_is_the_page_as_json(
    client: Client, db: Session, japan: dict[str, Any]
) -> None:
    body = client.get("/api/v1/countries/jp").json()
    assert (body["code"], body["name"]) == ("JP", "Japan")
    assert body["intel_items"] == 3 and body["partnerships"] == 1 and body["discussions"] == 1
    assert [i["title"] for i in body["intel_list"]] == [i.title for i in japan["items"]]
    assert body["intel_list"][0]["deadline_state"] == "closing soon"
    assert [p["name"] for p in body["partnership_list"]] == ["Pacific Food Alliance"]
    assert [t["title"] for t in body["thread_list"]] == ["Who exhibits at FOODEX Japan?"]
    assert body["links"]["intel"] == "http://testserver/intel?country=JP"
    assert body["links"]["atom"] == "http://testserver/feeds/intel.atom?country=JP"
    assert client.get("/api/v1/countries/ZZ").status_code == 404


def test_the_sector_api_is_the_page_as_json(
    client: Client, db: Session, japan: dict[str, Any]
) -> None:
    body = client.get("/api/v1/sectors/food").json()
    assert body["name"] == "Food industry"
    assert body["intel_items"] == 5
    assert body["markets"] == {"JP": 1, "KR": 1}
    assert [p["name"] for p in body["partnership_list"]] == ["Pacific Food Alliance"]
    missing = client.get("/api/v1/sectors/plumbing")
    assert missing.status_code == 404
    assert "'plumbing'" in missing.json()["detail"]


def test_exact_counts_match_the_capped_ones_below_the_cap(
    db: Session, japan: dict[str, Any]
) -> None:
    assert counts.count_for_country(db, "JP") == counts.recent_for_country(db, "JP").total == 3
    assert counts.count_by_country(db) == {"JP": 3, "KR": 1}


def test_a_country_page_shows_who_is_going_by_quarter_and_its_agreements(
    client: Client, demo_db: Session
) -> None:
    from forum.events.models import Event, EventPartnership
    from forum.partnerships.service import get_partnership_by_slug

    laser = get_partnership_by_slug(demo_db, "laser-go-global")
    assert laser is not None
    start = utcnow().date() + dt.timedelta(days=40)
    event = Event(name="Osaka health-tech mission", country_code="JP", city="Osaka",
                  in_europe=False, starts_on=start, ends_on=start)  # fmt: skip
    demo_db.add(event)
    demo_db.flush()
    demo_db.add(EventPartnership(event_id=event.id, partnership_id=laser.id))
    demo_db.commit()
    page = client.get("/countries/JP").text
    quarter = f"Q{(start.month - 1) // 3 + 1} {start.year}"
    section = page[page.index("Who else is going to Japan") :]
    assert quarter in section
    assert "Osaka health-tech mission" in section
    assert "LASER-GO GLOBAL" in section
    # The agreement section 4.1 records with a Jordanian counterpart, on Jordan's page only.
    assert "Jordan National Research Centre" in client.get("/countries/JO").text
    assert "Jordan National Research Centre" not in page


def test_country_page_states_the_partnerships_targeting_it_as_directory_facts(
    client: Client, demo_db: Session
) -> None:
    page = client.get("/countries/JP").text
    who = section(page, "who-heading")
    assert "6 partnerships in the directory name Japan among their target markets" in who
    for name in ("ELBE", "FoodNet", "FoodPackLab", "IDEOO", "EU-TEXTILE2030", "LASER-GO GLOBAL"):
        assert f">{name}</a>" in who
    assert "Strand 2" in who
    assert "Which ESCP-4i partnerships target" not in page, "facts, not intelligence items"
