"""Cooperation agreements: what section 4.1 of the report says, "unknown" for the rest."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.core.config import Settings
from forum.demo.agreements import load_agreements, report_agreements
from forum.partnerships.models import Agreement, Partnership
from forum.partnerships.service import (
    agreements_for_country,
    count_agreements_for_country,
    get_partnership_by_slug,
    page_agreements,
)
from tests.conftest import Client

REPORT = Path(__file__).resolve().parents[2] / "forum" / "demo" / "data"
REPORT_TEXT = (REPORT / "eccp-escp4i-consultation-2019.md").read_text("utf-8")


def _partnership(db: Session, slug: str) -> Partnership:
    found = get_partnership_by_slug(db, slug)
    assert found is not None, slug
    return found


def _agreements_of(db: Session, slug: str) -> list[Agreement]:
    pid = _partnership(db, slug).id
    return list(
        db.scalars(select(Agreement).where(Agreement.partnership_id == pid).order_by(Agreement.id))
    )


# --- the demo data ------------------------------------------------------------------------


def test_every_agreement_line_is_quoted_from_section_4_1_of_the_report() -> None:
    section = REPORT_TEXT[REPORT_TEXT.index("### **4.1.") : REPORT_TEXT.index("*Figure 8")]
    lines = {line.strip().removeprefix("- ").strip() for line in section.splitlines()}
    for entry in report_agreements()["agreements"]:
        assert entry["report_line"] in lines, entry["report_line"]
        # Counterpart and topic are the line's own words (a leading "The" dropped).
        assert entry["counterpart"] in entry["report_line"]
        assert entry["topic"] in entry["report_line"]
        assert f"{entry['report_name']} has signed" in section or entry["report_name"] in section


def test_the_demo_loads_the_seventeen_agreements_the_report_lists(report_db: Session) -> None:
    rows = report_db.execute(
        select(Partnership.name, func.count(Agreement.id))
        .join(Agreement, Agreement.partnership_id == Partnership.id)
        .group_by(Partnership.name)
    )
    counts = {name: count for name, count in rows}
    # IDEEO, COSMENREG-4i, LASER-GO-GLOBAL and NFA as the report writes them.
    assert counts == {
        "IDEOO": 2,
        "COSMENERG-4i": 5,
        "EC2i": 4,
        "LASER-GO GLOBAL": 2,
        "MobiGoIn-Action": 2,
        "NF4": 2,
    }


def test_laser_go_global_signed_with_medteq_and_optonique_and_the_rest_is_unknown(
    report_db: Session,
) -> None:
    medteq, optonique = _agreements_of(report_db, "laser-go-global")

    assert (medteq.counterpart, medteq.topic) == ("MEDTEQ", "health tech")
    assert (optonique.counterpart, optonique.topic) == ("OPTONIQUE", "photonics")
    for agreement in (medteq, optonique):
        assert agreement.counterpart_country is None  # the report does not say where
        assert agreement.signed_on is None  # nor when
        assert agreement.date_text == "during their first year of implementation"
        assert agreement.source_note is not None
        assert "section 4.1" in agreement.source_note


def test_a_country_is_recorded_only_where_the_report_names_one(report_db: Session) -> None:
    with_country = {
        a.counterpart: a.counterpart_country
        for a in report_db.scalars(
            select(Agreement).where(Agreement.counterpart_country.is_not(None))
        )
    }
    assert with_country == {
        "Jordan National Research Centre": "JO",
        "Israel Smart Energy Association": "IL",
        "Green Tech Malaysia": "MY",
        "Indonesia Renewable Energy Society": "ID",
        "Tianjin Beichen Economic and technological Development Zone": "CN",
    }
    for entry in report_agreements()["agreements"]:
        assert (entry["counterpart_country"] is None) == (entry["country_basis"] is None)
    assert report_db.scalar(select(func.count()).where(Agreement.signed_on.is_not(None))) == 0


def test_loading_the_agreements_twice_adds_and_changes_nothing(
    report_db: Session, settings: Settings
) -> None:
    before = [
        (a.id, a.counterpart, a.topic, a.counterpart_country, a.source_note)
        for a in report_db.scalars(select(Agreement).order_by(Agreement.id))
    ]
    assert load_agreements(report_db, settings) == "17 agreements (0 new)"
    report_db.flush()
    after = [
        (a.id, a.counterpart, a.topic, a.counterpart_country, a.source_note)
        for a in report_db.scalars(select(Agreement).order_by(Agreement.id))
    ]
    assert after == before


def test_the_data_file_names_its_source_and_says_unknown_is_never_guessed() -> None:
    data = json.loads((REPORT / "agreements.json").read_text("utf-8"))
    assert "section 4.1" in data["source"]
    assert "unknown" in data["note"]
    assert all(entry["date"] is None for entry in data["agreements"])


# --- the service --------------------------------------------------------------------------


def test_agreements_for_a_country_are_those_whose_counterpart_is_there(report_db: Session) -> None:
    jordan = agreements_for_country(report_db, "JO")
    assert [(a.partnership.name, a.counterpart) for a in jordan] == [
        ("COSMENERG-4i", "Jordan National Research Centre")
    ]
    assert [a.counterpart for a in agreements_for_country(report_db, "cn")] == [
        "Tianjin Beichen Economic and technological Development Zone"
    ]
    assert count_agreements_for_country(report_db, "IL") == 1
    # Canada is where MEDTEQ is, but the report does not say so: nothing is listed.
    assert agreements_for_country(report_db, "CA") == []


def test_agreements_are_listed_by_page(report_db: Session) -> None:
    ec2i = _partnership(report_db, "ec2i")
    first = page_agreements(report_db, partnership_id=ec2i.id, page=1, per_page=3, base_path="/x")
    second = page_agreements(report_db, partnership_id=ec2i.id, page=2, per_page=3, base_path="/x")
    assert first.total == 4
    assert [a.counterpart for a in first.items] == [
        "Cluster Smart City Tech",
        "Urban Future Lab",
        "Hodgson Ross",
    ]
    assert [a.counterpart for a in second.items] == ["Umore Consulting Group"]
    assert first.next_url == "/x?page=2"


# --- the pages ----------------------------------------------------------------------------


def test_the_profile_lists_the_agreements_with_unknown_for_what_the_report_does_not_say(
    client: Client, report_db: Session
) -> None:
    page = client.get("/partnerships/cosmenerg-4i")

    assert page.status_code == 200
    section = page.text[page.text.index('id="agreements-heading"') :]
    assert "Jordan National Research Centre" in section
    assert '<a href="/countries/JO">Jordan</a>' in section
    assert "High Council for Science and Technology" in section
    assert "Unknown" in section  # its country, and every date
    assert "during their first year of implementation" in section
    # Five agreements: the profile shows five and needs no "all" link.
    assert "All 5 agreements" not in section


def test_the_agreements_page_paginates_and_escapes_the_report_wording(
    client: Client, report_db: Session
) -> None:
    mobigoin = _partnership(report_db, "mobigoin-action")
    for i in range(21):
        report_db.add(Agreement(partnership_id=mobigoin.id, counterpart=f"Counterpart {i:02d}"))
    report_db.flush()

    first = client.get("/partnerships/mobigoin-action/agreements")
    second = client.get("/partnerships/mobigoin-action/agreements?page=2")

    assert first.status_code == 200
    assert "1–20 of 23" in first.text
    assert "IMPACT &lt;Connected Car&gt;" in first.text  # the report's angle brackets, escaped
    assert "<Connected Car>" not in first.text
    assert 'href="/partnerships/mobigoin-action/agreements?page=2"' in first.text
    assert len(re.findall(r'class="card agreement"', second.text)) == 3


def test_a_partnership_without_agreements_says_so(client: Client, report_db: Session) -> None:
    profile = client.get("/partnerships/elbe")
    listing = client.get("/partnerships/elbe/agreements")

    assert "No cooperation agreement recorded." in profile.text
    assert listing.status_code == 200
    assert 'class="empty-state"' in listing.text
    assert client.get("/partnerships/no-such-one/agreements").status_code == 404
