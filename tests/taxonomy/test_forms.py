"""A form's tag fields: countries, region groups and sectors read in one place."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from forum.taxonomy.forms import TagFieldsError, read_tag_fields
from forum.taxonomy.regions import get_region_group


def test_region_groups_are_expanded_and_blank_values_ignored(db: Session, sectors: None) -> None:
    tags = read_tag_fields(db, countries=[" jp", "", "g:asean"], sectors=["food", " "])
    asean = get_region_group("g:asean")
    assert asean is not None
    assert tags.countries == sorted({"JP", *asean.members})
    assert tags.sector_slugs == ["food"]
    assert tags.groups == []


def test_a_form_that_follows_groups_keeps_them_as_groups(db: Session, sectors: None) -> None:
    tags = read_tag_fields(db, countries=["g:asean", "JP"], keep_groups=True)
    assert (tags.groups, tags.countries) == (["g:asean"], ["JP"])


def test_every_bad_field_is_named_with_the_forms_own_message(db: Session, sectors: None) -> None:
    with pytest.raises(TagFieldsError) as raised:
        read_tag_fields(
            db, countries=["JP", "ZZ"], sectors=["whaling"],
            unknown_country=lambda code: f"no country {code}",
            unknown_sector=lambda slug: f"no sector {slug}",
        )  # fmt: skip
    assert raised.value.errors == {"countries": "no country ZZ", "sectors": "no sector whaling"}
    assert raised.value.first == ("countries", "no country ZZ")


def test_the_default_messages_are_the_taxonomys_own(db: Session, sectors: None) -> None:
    with pytest.raises(TagFieldsError) as raised:
        read_tag_fields(db, countries=["g:nowhere"], sectors=["whaling"])
    assert raised.value.errors == {
        "countries": "unknown country or region group code: 'g:nowhere'",
        "sectors": "unknown sector: 'whaling'",
    }
