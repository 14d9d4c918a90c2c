"""Auto-tagging: precision and recall over the committed labelled headlines, and each rule.

The labelled set (`data/tagging_headlines.jsonl`) was labelled by what a reader would tag,
not by what the tagger finds: headlines naming only a city ("in Lisbon") or a US state
("Indiana") carry the country they are in, and count as misses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
import pytest

from forum.intelligence.country_tags import tag_countries
from forum.intelligence.sector_keywords import SECTOR_KEYWORDS
from forum.intelligence.sector_tags import tag_sectors
from forum.intelligence.tagging import Tags, tag
from forum.taxonomy.service import REPORT_SECTORS
from tests.intelligence.published import Score

HEADLINES = Path(__file__).parent / "data" / "tagging_headlines.jsonl"
ALIASES = Path(__file__).parents[2] / "forum" / "intelligence" / "data" / "country_aliases.json"


@cache
def _headlines() -> tuple[dict[str, Any], ...]:
    with HEADLINES.open(encoding="utf-8") as handle:
        return tuple(json.loads(line) for line in handle if line.strip())


def _score(field: str, found: Callable[[Tags], frozenset[str]]) -> Score:
    tp = fp = fn = 0
    errors = []
    for row in _headlines():
        got = set(found(tag(row["title"])))
        expected = set(row[field])
        tp += len(got & expected)
        fp += len(got - expected)
        fn += len(expected - got)
        if got != expected:
            errors.append(f"{row['title']!r}: got {sorted(got)}, expected {sorted(expected)}")
    return Score(tp, fp, fn, tuple(errors))


def _report(
    name: str,
    score: Score,
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = _headlines()
    line = (
        f"tagging {name}: precision {score.precision:.3f}, recall {score.recall:.3f} "
        f"(tp {score.true_positives}, fp {score.false_positives}, fn {score.false_negatives}; "
        f"{len(rows)} headlines, {sum(1 for r in rows if r['hard'])} hard cases)"
    )
    record_property(f"{name}_precision", round(score.precision, 4))
    record_property(f"{name}_recall", round(score.recall, 4))
    with capsys.disabled():
        print(f"\n{line}")
        for error in score.errors:
            print(f"  {name} miss: {error}")
    print(line)  # also in the captured output that failure reports show


# The labelled set itself


def test_labelled_set_is_large_varied_and_valid() -> None:
    rows = _headlines()
    assert len(rows) >= 150
    assert sum(1 for r in rows if r["hard"]) >= 25
    assert sum(1 for r in rows if not r["countries"]) >= 10  # headlines with no country
    assert sum(1 for r in rows if len(r["countries"]) >= 2) >= 25  # several countries
    titles = [r["title"] for r in rows]
    assert len(set(titles)) == len(titles)
    slugs = {slug for slug, _, _ in REPORT_SECTORS}
    for row in rows:
        assert set(row) <= {"title", "countries", "sectors", "hard", "note"}, row
        for code in row["countries"]:
            assert pycountry.countries.get(alpha_2=code) is not None, (code, row)
        assert set(row["sectors"]) <= slugs, row


def test_sector_keywords_cover_exactly_the_project_sectors() -> None:
    assert set(SECTOR_KEYWORDS) == {slug for slug, _, _ in REPORT_SECTORS}


def test_alias_table_names_its_source_and_valid_codes() -> None:
    data = json.loads(ALIASES.read_text(encoding="utf-8"))
    assert data["source"].strip()
    for section in ("aliases", "demonyms"):
        for code in data[section]:
            assert pycountry.countries.get(alpha_2=code) is not None, (section, code)
    for entry in data["contexts"]:
        code = entry["country"]
        assert code is None or pycountry.countries.get(alpha_2=code) is not None, entry
        assert entry["note"].strip()


# Precision and recall


def test_country_precision_and_recall(
    record_property: Callable[[str, object], None], capsys: pytest.CaptureFixture[str]
) -> None:
    score = _score("countries", lambda tags: tags.countries)
    _report("countries", score, record_property, capsys)
    assert score.precision >= 0.95
    assert score.recall >= 0.85


def test_sector_precision_and_recall(
    record_property: Callable[[str, object], None], capsys: pytest.CaptureFixture[str]
) -> None:
    score = _score("sectors", lambda tags: tags.sectors)
    _report("sectors", score, record_property, capsys)
    assert score.precision >= 0.9
    assert score.recall >= 0.8


def test_hard_cases_all_pass_for_countries() -> None:
    wrong = [
        (row["title"], sorted(tag_countries(row["title"])), row["countries"])
        for row in _headlines()
        if row["hard"] and sorted(tag_countries(row["title"])) != row["countries"]
    ]
    # The one hard case allowed to miss: a US state other than Georgia is not tagged.
    assert [title for title, _, _ in wrong] == [
        "Indiana manufacturers visit European robotics fair"
    ], wrong


# Names, aliases and demonyms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Exports to the USA rise", {"US"}),
        ("U.S. buyers return", {"US"}),
        ("United States tariffs", {"US"}),
        ("American importers", {"US"}),
        ("UK and Britain and British firms", {"GB"}),
        ("South Korea and Korean brands", {"KR"}),
        ("Vietnam and Viet Nam and Vietnamese", {"VN"}),
        ("Japanese buyers", {"JP"}),
        ("Chinese demand", {"CN"}),
        ("Emirati investors in the UAE", {"AE"}),
        ("Saudi funds", {"SA"}),
        ("Turkish and Türkiye and Turkiye", {"TR"}),
        ("Czech Republic, Czechia and Czech", {"CZ"}),
        ("Ivory Coast and Côte d’Ivoire", {"CI"}),
        ("Moroccan, Brazilian, Canadian, Mexican", {"MA", "BR", "CA", "MX"}),
        ("German, French and Israeli firms", {"DE", "FR", "IL"}),
        ("South African wine", {"ZA"}),
        ("Americans and Germans", {"US", "DE"}),
        ("Japan's exporters", {"JP"}),
        ("EU-Japan deal", {"JP"}),
        ("Bolivia and Iran (pycountry common names)", {"BO", "IR"}),
        ("Federal Republic of Germany (official name)", {"DE"}),
    ],
)
def test_names_aliases_and_demonyms(text: str, expected: set[str]) -> None:
    assert tag_countries(text) == expected


# Names inside names: longest match first, word boundaries


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Papua New Guinea fisheries", {"PG"}),
        ("Guinea-Bissau cashews", {"GW"}),
        ("Equatorial Guinea oil", {"GQ"}),
        ("Guinea bauxite", {"GN"}),
        ("Nigeria and Nigerian firms", {"NG"}),
        ("Niger uranium", {"NE"}),
        ("Nigerien traders", {"NE"}),
        ("South Sudan", {"SS"}),
        ("Dominican Republic", {"DO"}),
        ("Northern Ireland", {"GB"}),
        ("American Samoa", {"AS"}),
        ("North Korean", {"KP"}),
        ("Indiana and Romanian", {"RO"}),
        ("New Jersey", {"US"}),
        ("Niger Delta", {"NG"}),
    ],
)
def test_no_name_matches_inside_another(text: str, expected: set[str]) -> None:
    assert tag_countries(text) == expected


# False friends


def test_turkey_lower_case_is_the_bird() -> None:
    assert tag_countries("Prices of turkey rise before the holidays") == set()
    assert tag_countries("Christmas turkey sales up") == set()
    assert tag_countries("Turkey farmers face higher feed costs") == set()
    assert tag_countries("Turkey signs trade deal") == {"TR"}
    assert tag_countries("Turkish delight makers") == set()


def test_georgia_is_the_country_unless_us_state_context() -> None:
    assert tag_countries("Georgia wine exports grow") == {"GE"}
    assert tag_countries("Georgia hydropower tender near Tbilisi") == {"GE"}
    assert tag_countries("Atlanta studios expand in Georgia") == {"US"}
    assert tag_countries("Savannah port in Georgia grows") == {"US"}
    assert tag_countries("Factories in Georgia, USA hire") == {"US"}
    assert tag_countries("Grants from the state of Georgia") == {"US"}
    assert tag_countries("Georgian wine") == {"GE"}


def test_jordan_unless_a_person_a_brand_or_the_river() -> None:
    assert tag_countries("Jordan launches solar tender") == {"JO"}
    assert tag_countries("Jordan's exports rise") == {"JO"}
    assert tag_countries("Michael Jordan brand sales") == set()
    assert tag_countries("Air Jordan sneakers") == set()
    assert tag_countries("Jordan River restoration") == set()
    assert tag_countries("Cluster hires Jordan Peters as manager") == set()
    assert tag_countries("Jordan Government opens tender") == {"JO"}
    assert tag_countries("Jordanian olive oil") == {"JO"}


def test_chad_unless_a_first_name() -> None:
    assert tag_countries("Chad signs cotton deal") == {"TD"}
    assert tag_countries("Chad's government opens bids") == {"TD"}
    assert tag_countries("Chad Thompson appointed cluster head") == set()
    assert tag_countries("Chad Ministry of Energy tender") == {"TD"}
    assert tag_countries("Chad EU partnership renewed") == {"TD"}
    assert tag_countries("Lake Chad drought") == {"TD"}
    assert tag_countries("the republic of Chad") == {"TD"}
    # In Title Case every word is capitalised, so the first-name rule is off.
    assert tag_countries("Chad Signs Solar Deal With Investors") == {"TD"}


def test_indian_ocean_is_not_india() -> None:
    assert tag_countries("Indian Ocean buoys") == set()
    assert tag_countries("Indian exporters") == {"IN"}
    assert tag_countries("India ink and India pale ale") == set()


def test_china_lower_case_and_porcelain() -> None:
    assert tag_countries("fine china and bone china makers") == set()
    assert tag_countries("Fine China Makers Struggle") == set()
    assert tag_countries("china clay producers") == set()
    assert tag_countries("sales in china") == set()
    assert tag_countries("Made in China") == {"CN"}


def test_guinea_pig_and_gulf_of_guinea() -> None:
    assert tag_countries("Guinea pig trials replaced") == set()
    assert tag_countries("guinea fowl farmers") == set()
    assert tag_countries("Gulf of Guinea patrols") == set()
    assert tag_countries("Guinea pig trials in Guinea") == {"GN"}


def test_abbreviations_need_their_exact_case() -> None:
    assert tag_countries("Let us help you grow") == set()
    assert tag_countries("Uk and uae") == set()
    assert tag_countries("US and UK firms") == {"US", "GB"}


def test_demonyms_that_are_words() -> None:
    assert tag_countries("nail polish makers") == set()
    assert tag_countries("Nail Polish Makers Reformulate") == set()
    assert tag_countries("Polish rail operators") == {"PL"}
    assert tag_countries("French fries and Danish pastries") == set()
    assert tag_countries("Greek yogurt from Denmark") == {"DK"}


def test_regions_are_not_countries() -> None:
    assert tag_countries("Latin American and North American buyers") == set()
    assert tag_countries("South China Sea monitoring") == set()


# Sectors


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Offshore wind supply chain", {"blue-energy", "renewable-energy"}),
        ("Tidal energy pilot", {"blue-energy"}),
        ("Renewable energy cluster", {"renewable-energy"}),
        ("Energy cluster meets grid operators", {"energy"}),
        ("Plant-based seafood start-up", {"food-innovation", "food"}),
        ("Digital health start-ups", {"digital", "healthcare"}),
        ("AI software", {"digital"}),
        ("Said the ai", set()),
        ("Health care and healthcare", {"healthcare"}),
        ("EVs and e-bikes", {"smart-mobility"}),
        ("Railway signalling tender", {"railway"}),
        ("Sustainable tourism for hotels", {"sustainable-hospitality"}),
        ("Earth observation and satellite imagery", {"environmental-observation"}),
        ("Sonar buoys for maritime surveillance", {"maritime-observation"}),
        ("Film and audiovisual producers", {"media"}),
        ("Garment and fabric makers", {"textile"}),
        ("Skincare and cosmetics", {"cosmetics"}),
        ("Semiconductor and photonics", {"high-tech"}),
        ("Cluster managers meet in Brussels", set()),
        ("Researchers train staff on regulations", set()),
    ],
)
def test_sector_keywords(text: str, expected: set[str]) -> None:
    assert tag_sectors(text) == expected


def test_tag_combines_title_and_summary() -> None:
    tags = tag("Mission to Japan", "Food SMEs meet Korean buyers")
    assert tags == Tags(frozenset({"JP", "KR"}), frozenset({"food"}))
    assert tag("Mission to Japan") == Tags(frozenset({"JP"}), frozenset())
