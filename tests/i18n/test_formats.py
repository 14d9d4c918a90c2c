"""Dates, numbers, country names and plurals in the reader's language: English, the
pseudo-locale, and languages Babel knows (French and Polish, with small catalogs made
here so that their plural rules are the real ones)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from jinja2 import Environment

from forum.core import formats, i18n, jinja_i18n
from forum.core.i18n import _, ngettext
from tests.i18n.pseudo import pseudo

MOMENT = dt.datetime(2026, 12, 7, 13, 5, tzinfo=dt.UTC)  # 14:05 in Brussels
REPLIES = ("%(num)s reply", "%(num)s replies")
TEMPLATE = "{% trans num=n %}{{ num }} reply{% pluralize %}{{ num }} replies{% endtrans %}"


def catalog(locale: str, plural: tuple[str, ...], words: dict[str, str]) -> Translations:
    cat = Catalog(locale=locale)
    cat.add(REPLIES, plural)
    for english, translated in words.items():
        cat.add(english, translated)
    buffer = io.BytesIO()
    write_mo(buffer, cat)
    buffer.seek(0)
    return Translations(buffer)


@pytest.fixture
def languages(pseudo_locale: str) -> Iterator[None]:
    i18n.install(
        "fr",
        # CLDR's French has three forms: one (0, 1), many (a million: "de"), other.
        catalog(
            "fr",
            ("%(num)s réponse", "%(num)s de réponses", "%(num)s réponses"),
            {"Language": "Langue"},
        ),
        formats_as="fr",
    )
    i18n.install(
        "pl",
        catalog("pl", ("%(num)s odpowiedź", "%(num)s odpowiedzi", "%(num)s odpowiedzi"), {}),
        formats_as="pl",
    )
    yield
    i18n.uninstall("fr")
    i18n.uninstall("pl")


def render(source: str, **context: object) -> str:
    env = Environment(autoescape=True)
    jinja_i18n.install_jinja(env)
    return env.from_string(source).render(**context)


@pytest.mark.parametrize(
    ("language", "counts"),
    [
        ("en", {0: "0 replies", 1: "1 reply", 2: "2 replies", 5: "5 replies"}),
        (
            "fr",
            {0: "0 réponse", 1: "1 réponse", 2: "2 réponses", 1000000: "1000000 de réponses"},
        ),
        ("pl", {1: "1 odpowiedź", 2: "2 odpowiedzi", 5: "5 odpowiedzi", 22: "22 odpowiedzi"}),
        (
            "xx",
            {1: pseudo("%(num)s reply") % {"num": 1}, 2: pseudo("%(num)s replies") % {"num": 2}},
        ),
    ],
)
def test_plurals_follow_the_languages_rules_in_python_and_in_templates(
    languages: None, language: str, counts: dict[int, str]
) -> None:
    with i18n.using(language):
        for n, expected in counts.items():
            assert ngettext(*REPLIES, n) == expected
            assert render(TEMPLATE, n=n) == expected


@pytest.mark.parametrize(
    ("language", "date", "moment", "long"),
    [
        ("en", "7 Dec 2026", "7 Dec 2026, 14:05", "7 December 2026"),
        ("fr", "7 déc. 2026", "7 déc. 2026, 14:05", "7 décembre 2026"),
        ("xx", pseudo("7 Dec 2026"), pseudo("7 Dec 2026, 14:05"), pseudo("7 December 2026")),
    ],
)
def test_dates_in_the_readers_language_and_time_zone(
    languages: None, language: str, date: str, moment: str, long: str
) -> None:
    with i18n.using(language, "Europe/Brussels"):
        assert formats.format_date(MOMENT) == date
        assert formats.format_datetime(MOMENT) == moment
        assert formats.format_date(MOMENT.date(), "long") == long
        assert render("{{ when|datetime }}", when=MOMENT) == moment.replace("'", "&#39;")
    with i18n.using(language, "Asia/Tokyo"):
        assert formats.format_time(MOMENT) in {"22:05", pseudo("22:05")}


def test_a_naive_datetime_is_read_as_utc() -> None:
    with i18n.using("en", "Europe/Brussels"):
        assert formats.format_time(MOMENT.replace(tzinfo=None)) == "14:05"


def test_time_ago_and_numbers(languages: None) -> None:
    three_days_before = MOMENT - dt.timedelta(days=3)
    with i18n.using("en"):
        assert formats.format_timeago(three_days_before, now=MOMENT) == "3 days ago"
        assert formats.format_timeago(MOMENT, now=MOMENT) == "just now"
        assert formats.format_number(12345.5) == "12,345.5"
    with i18n.using("fr"):
        assert formats.format_timeago(three_days_before, now=MOMENT) == "il y a 3 jours"
        assert formats.format_number(12345.5) == "12\u202f345,5"


def test_country_names_are_the_common_ones_of_the_readers_language(languages: None) -> None:
    with i18n.using("en"):
        assert formats.country_name("KR") == "South Korea"
        assert formats.country_name("cz") == "Czechia"
    with i18n.using("fr"):
        assert formats.country_name("KR") == "Corée du Sud"
    with i18n.using("xx"):
        assert formats.country_name("KR") == pseudo("South Korea")


def test_language_names_for_the_switcher_are_in_the_language_itself(languages: None) -> None:
    with i18n.using("en"):
        assert formats.language_name("fr", in_itself=True) == "Français"
        assert formats.language_name("pl", in_itself=True) == "Polski"
        assert formats.language_name("fr") == "French"
    with i18n.using("fr"):
        assert formats.language_name("de") == "Allemand"


def test_a_lazy_string_is_translated_when_read_not_when_defined(languages: None) -> None:
    label = i18n.lazy_gettext("Language")
    with i18n.using("fr"):
        assert str(label) == "Langue"
        assert _("Language") == "Langue"
    with i18n.using("en"):
        assert str(label) == "Language"


def test_an_unknown_language_falls_back_to_english() -> None:
    with i18n.using("tlh"):
        assert i18n.language() == "en"
        assert ngettext(*REPLIES, 2) == "2 replies"


def test_time_elements_carry_valid_datetime_values() -> None:
    import datetime as dt

    from forum.core.formats import machine_time

    moment = dt.datetime(2026, 12, 7, 14, 5, 9, 603189, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert machine_time(moment) == "2026-12-07T13:05:09Z"
    naive_utc = dt.datetime(2026, 12, 7, 14, 5, 9, 603189)  # noqa: DTZ001 - as SQLite gives it
    assert machine_time(naive_utc) == "2026-12-07T14:05:09Z"
    assert machine_time(dt.date(2026, 12, 7)) == "2026-12-07"
