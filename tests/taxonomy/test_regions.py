"""Region groups: the committed data file and the small API over it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

import pycountry
import pytest

from forum.taxonomy.regions import (
    RegionGroup,
    UnknownCountryError,
    expand_codes,
    get_region_group,
    groups_containing,
    is_european,
    is_region_code,
    load_region_groups,
)

REQUIRED_GROUPS = {
    "g:eu27",
    "g:eea",
    "g:efta",
    "g:europe",
    "g:north-america",
    "g:latin-america",
    "g:asean",
    "g:gcc",
    "g:mena",
    "g:sub-saharan-africa",
    "g:central-asia",
    "g:east-asia",
    "g:south-asia",
    "g:south-east-asia",
    "g:oceania",
    "g:g7",
    "g:g20",
    "g:oecd",
    "g:mercosur",
}


def _raw_groups() -> list[dict[str, Any]]:
    path = resources.files("forum.taxonomy") / "data" / "region_groups.json"
    groups: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))["groups"]
    return groups


def _members(code: str) -> frozenset[str]:
    group = get_region_group(code)
    assert group is not None
    return group.members


# --- the data file -------------------------------------------------------------------


def test_every_member_of_every_group_is_an_iso_country_known_to_pycountry() -> None:
    iso = {c.alpha_2 for c in pycountry.countries}
    for group in _raw_groups():
        unknown = [m for m in group["members"] if m not in iso]
        assert not unknown, (group["code"], unknown)


def test_members_are_listed_upper_case_sorted_and_once() -> None:
    for group in _raw_groups():
        members = group["members"]
        assert members == sorted(set(members)), group["code"]
        assert all(m == m.upper() and len(m) == 2 for m in members), group["code"]


def test_every_group_code_is_lower_case_and_prefixed_and_unique() -> None:
    codes = [g["code"] for g in _raw_groups()]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert code.startswith("g:")
        assert code == code.lower()


def test_every_group_names_its_source_url_definition_and_an_iso_as_of_date() -> None:
    for group in _raw_groups():
        assert group["source"].strip(), group["code"]
        assert group["source_url"].startswith("https://"), group["code"]
        assert group["definition"].strip(), group["code"]
        assert date.fromisoformat(group["as_of"]) <= datetime.now(UTC).date(), group["code"]


def test_the_file_has_every_group_the_product_needs() -> None:
    assert set(load_region_groups()) >= REQUIRED_GROUPS


def test_kosovo_is_in_no_group_because_iso_has_no_code_for_it() -> None:
    assert all("XK" not in g.members for g in load_region_groups().values())


# --- membership facts ----------------------------------------------------------------


def test_eu27_has_exactly_27_members_and_not_the_united_kingdom() -> None:
    eu = _members("g:eu27")
    assert len(eu) == 27
    assert "GB" not in eu
    assert {"DE", "FR", "CY", "HR", "GR"} <= eu


def test_eea_is_the_eu_plus_iceland_liechtenstein_and_norway() -> None:
    assert _members("g:eea") == _members("g:eu27") | {"IS", "LI", "NO"}


def test_efta_is_switzerland_iceland_liechtenstein_and_norway() -> None:
    assert _members("g:efta") == {"CH", "IS", "LI", "NO"}


def test_gcc_has_the_six_gulf_states() -> None:
    assert _members("g:gcc") == {"AE", "BH", "KW", "OM", "QA", "SA"}


def test_asean_has_ten_founding_and_early_members_plus_timor_leste_since_october_2025() -> None:
    asean = get_region_group("g:asean")
    assert asean is not None
    assert len(asean.members - {"TL"}) == 10
    assert "TL" in asean.members
    assert asean.as_of >= date(2025, 10, 26)


def test_north_america_is_the_usmca_three() -> None:
    assert _members("g:north-america") == {"CA", "MX", "US"}


def test_g7_and_g20_list_countries_only_not_the_eu_or_the_african_union() -> None:
    assert len(_members("g:g7")) == 7
    g20 = _members("g:g20")
    assert len(g20) == 19
    assert _members("g:g7") <= g20
    assert "EU" not in g20


def test_oecd_has_38_members() -> None:
    assert len(_members("g:oecd")) == 38


def test_mercosur_leaves_out_suspended_venezuela_and_says_so() -> None:
    mercosur = get_region_group("g:mercosur")
    assert mercosur is not None
    assert mercosur.members == {"AR", "BO", "BR", "PY", "UY"}
    assert "Venezuela" in mercosur.note


def test_african_union_has_55_members_including_western_sahara() -> None:
    au = _members("g:african-union")
    assert len(au) == 55
    assert "EH" in au


def test_m49_regions_do_not_overlap_each_other() -> None:
    m49 = [
        "g:europe",
        "g:latin-america",
        "g:sub-saharan-africa",
        "g:central-asia",
        "g:east-asia",
        "g:south-asia",
        "g:south-east-asia",
        "g:oceania",
    ]
    seen: dict[str, str] = {}
    for code in m49:
        for member in _members(code):
            assert member not in seen, (member, seen.get(member), code)
            seen[member] = code


# --- the API -------------------------------------------------------------------------


def test_groups_are_frozen_dataclasses_with_typed_fields() -> None:
    group = get_region_group("g:eu27")
    assert isinstance(group, RegionGroup)
    assert isinstance(group.members, frozenset)
    assert isinstance(group.as_of, date)
    with pytest.raises(AttributeError):
        group.name = "changed"  # type: ignore[misc]


def test_load_region_groups_answers_a_fresh_dict_each_time() -> None:
    first = load_region_groups()
    first.pop("g:eu27")
    assert "g:eu27" in load_region_groups()


def test_group_codes_are_recognised_by_their_prefix_in_any_case() -> None:
    assert is_region_code("g:eu27")
    assert is_region_code("G:EU27")
    assert not is_region_code("DE")
    assert get_region_group("G:EU27") == get_region_group("g:eu27")
    assert get_region_group("g:atlantis") is None
    assert get_region_group("DE") is None


def test_expanding_mixed_input_gives_sorted_unique_iso_codes() -> None:
    codes = expand_codes(["g:gcc", "jp", "SA", " us ", "g:north-america"])
    assert codes == ["AE", "BH", "CA", "JP", "KW", "MX", "OM", "QA", "SA", "US"]


def test_expanding_lower_case_country_codes_upper_cases_them() -> None:
    assert expand_codes(["de", "fr", "De"]) == ["DE", "FR"]


def test_expanding_nothing_gives_nothing() -> None:
    assert expand_codes([]) == []


def test_expanding_an_unknown_country_raises_a_value_error_naming_the_code() -> None:
    with pytest.raises(UnknownCountryError, match="XK") as info:
        expand_codes(["DE", "XK"])
    assert isinstance(info.value, ValueError)
    assert info.value.code == "XK"


def test_expanding_an_unknown_group_raises_naming_the_group() -> None:
    with pytest.raises(UnknownCountryError, match="g:atlantis"):
        expand_codes(["g:atlantis"])


def test_expanding_a_name_instead_of_a_code_is_refused() -> None:
    with pytest.raises(UnknownCountryError, match="Germany"):
        expand_codes(["Germany"])


def test_groups_containing_a_country_lists_them_in_file_order() -> None:
    codes = [g.code for g in groups_containing("jp")]
    assert codes == ["g:east-asia", "g:g7", "g:g20", "g:oecd"]


def test_groups_containing_refuses_an_unknown_country() -> None:
    with pytest.raises(UnknownCountryError, match="ZZ"):
        groups_containing("ZZ")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("DE", True),
        ("no", True),
        ("CH", True),
        ("GB", True),
        ("UA", True),
        ("CY", True),
        ("TR", False),
        ("GE", False),
        ("US", False),
        ("MA", False),
    ],
)
def test_is_european_follows_m49_europe_plus_eu_member_states(code: str, expected: bool) -> None:
    assert is_european(code) is expected


def test_is_european_refuses_an_unknown_country() -> None:
    with pytest.raises(UnknownCountryError):
        is_european("XK")
