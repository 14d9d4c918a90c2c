"""Operators in the search box: `country:JP sector:food after:2019-01-01 foodnet`.

`parse_query(text)` is a pure function that never raises. It takes out the words
that are operators with a valid value and leaves everything else as free text, in
place, so that `country:JP foodn` still searches "foodn" as a prefix and
`foodnet country:JP` does not (a word followed by something is complete). Unknown
operators (`http://…`, `note:this`) stay text. A known operator with a value it cannot
take (`after:soon`, `kind:banana`) is not searched as text either: it is taken out and
listed in `problems`, for the caller to say what is wrong. Quoted text is never an
operator.

| operator          | value                                   | SearchQuery field |
|-------------------|-----------------------------------------|-------------------|
| `country:JP`      | ISO alpha-2, a region group `g:asean`, or a name (`Japan`, `japon`, `south_korea`) | countries |
| `sector:food`     | a slug                                  | sectors           |
| `kind:intel`      | one of KINDS                            | kinds             |
| `type:news`       | a slug (the item's or thread's own kind) | subkinds          |
| `category:slug`   | a slug                                  | categories        |
| `after:2019-01-01`| a date: on or after it (UTC)            | date_from         |
| `before:2019-06-30`| a date: strictly before it (UTC)       | date_to           |
| `in:title`        | one of SEARCH_FIELDS                    | fields            |

Values may be listed with commas (`country:JP,KR`); repeating an operator adds
values (any of them matches). For dates the last one given wins. Region groups and
names are returned as typed, lower-cased (`g:asean`, `japon`): finding what a name
stands for and expanding groups is the caller's job (`apply`'s `expand_country`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from search.engine import KINDS, SEARCH_FIELDS, SearchQuery

_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")
_COUNTRY = re.compile(r"[a-z]{2}")
_GROUP = re.compile(r"g:[a-z0-9][a-z0-9_-]{0,39}")
# A country's name: letters, with the hyphens, underscores, dots and apostrophes of
# "south_korea", "guinea-bissau", "st.", "côte_d'ivoire".
_NAME = re.compile(r"[^\W\d_](?:[^\W\d]|[-.'’])*", re.UNICODE)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# A word: a quoted stretch (possibly unclosed, to the end) or a run of non-space.
_WORD = re.compile(r'"[^"]*(?:"|$)|[^\s"]+')
_OPERATOR = re.compile(r"([A-Za-z]+):(\S+)")
_SPACES = re.compile(r"\s+")

LIST_OPERATORS = {
    "country": "countries",
    "sector": "sectors",
    "kind": "kinds",
    "type": "subkinds",
    "category": "categories",
    "in": "fields",
}
DATE_OPERATORS = {"after": "after", "before": "before"}


@dataclass(frozen=True)
class ParsedQuery:
    """The free text and the filters typed in a search box; see the module docstring."""

    text: str = ""
    countries: tuple[str, ...] = ()  # "JP" or "g:asean" (expand before searching)
    sectors: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    subkinds: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    after: dt.date | None = None
    before: dt.date | None = None
    fields: tuple[str, ...] = ()
    # Operator words with a value the operator cannot take: (operator, value as typed).
    problems: tuple[tuple[str, str], ...] = ()

    @property
    def has_filters(self) -> bool:
        return any(
            (
                self.countries,
                self.sectors,
                self.kinds,
                self.subkinds,
                self.categories,
                self.after,
                self.before,
                self.fields,
            )
        )

    def apply(
        self,
        base: SearchQuery,
        *,
        expand_country: Callable[[str], Iterable[str]] | None = None,
    ) -> SearchQuery:
        """`base` with this text, and these filters added to the ones it already has.

        `expand_country` turns a code such as "g:asean", or a name, into ISO codes;
        without it they are passed through unchanged (and match nothing).
        """
        countries: list[str] = list(base.countries)
        for code in self.countries:
            countries.extend(expand_country(code) if expand_country else [code])
        date_from = base.date_from
        if self.after is not None:
            date_from = dt.datetime.combine(self.after, dt.time(), tzinfo=dt.UTC)
        date_to = base.date_to
        if self.before is not None:
            date_to = dt.datetime.combine(self.before, dt.time(), tzinfo=dt.UTC)
        return replace(
            base,
            text=self.text,
            countries=tuple(dict.fromkeys(countries)),
            sectors=tuple(dict.fromkeys([*base.sectors, *self.sectors])),
            kinds=tuple(dict.fromkeys([*base.kinds, *self.kinds])),
            subkinds=tuple(dict.fromkeys([*base.subkinds, *self.subkinds])),
            categories=tuple(dict.fromkeys([*base.categories, *self.categories])),
            date_from=date_from,
            date_to=date_to,
            fields=tuple(dict.fromkeys([*base.fields, *self.fields])),
        )


def _list_value(operator: str, raw: str) -> list[str] | None:
    """The valid values of one operator word, or None when any part is invalid."""
    values = []
    for part in raw.split(","):
        value = part.strip().lower()
        if not value:
            continue  # "country:JP," or "country:JP,,KR"
        if operator == "country":
            if _COUNTRY.fullmatch(value):
                value = value.upper()
            elif not (_GROUP.fullmatch(value) or _NAME.fullmatch(value)):
                return None
        elif operator == "kind":
            if value not in KINDS:
                return None
        elif operator == "in":
            if value not in SEARCH_FIELDS:
                return None
        elif not _SLUG.fullmatch(value):
            return None
        values.append(value)
    return values or None


def _date_value(raw: str) -> dt.date | None:
    if not _DATE.fullmatch(raw):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def parse_query(text: str) -> ParsedQuery:
    """Split search-box input into free text and operators; never raises."""
    lists: dict[str, list[str]] = {name: [] for name in LIST_OPERATORS.values()}
    dates: dict[str, dt.date | None] = {"after": None, "before": None}
    kept: list[str] = []
    problems: list[tuple[str, str]] = []
    position = 0
    for match in _WORD.finditer(text):
        word = match.group()
        operator = _OPERATOR.fullmatch(word)
        recognised = False
        if operator:
            name, raw = operator.group(1).lower(), operator.group(2)
            if name in LIST_OPERATORS:
                values = _list_value(name, raw)
                if values is not None:
                    lists[LIST_OPERATORS[name]].extend(values)
                else:
                    problems.append((name, raw))
                recognised = True
            elif name in DATE_OPERATORS:
                day = _date_value(raw)
                if day is not None:
                    dates[DATE_OPERATORS[name]] = day
                else:
                    problems.append((name, raw))
                recognised = True
        if recognised:
            kept.append(text[position : match.start()])
            position = match.end()
    kept.append(text[position:])
    # Spaces are collapsed; an operator at the end leaves the space before it, so the
    # word before it counts as complete (not a prefix).
    free = _SPACES.sub(" ", "".join(kept)).lstrip()
    return ParsedQuery(
        text=free,
        countries=tuple(dict.fromkeys(lists["countries"])),
        sectors=tuple(dict.fromkeys(lists["sectors"])),
        kinds=tuple(dict.fromkeys(lists["kinds"])),
        subkinds=tuple(dict.fromkeys(lists["subkinds"])),
        categories=tuple(dict.fromkeys(lists["categories"])),
        after=dates["after"],
        before=dates["before"],
        fields=tuple(dict.fromkeys(lists["fields"])),
        problems=tuple(dict.fromkeys(problems)),
    )


def without_problems(text: str) -> str:
    """`text` without its operator words that are problems (see parse_query): what to
    search for instead of a query that cannot be run."""
    kept: list[str] = []
    position = 0
    for match in _WORD.finditer(text):
        operator = _OPERATOR.fullmatch(match.group())
        if operator is None:
            continue
        name, raw = operator.group(1).lower(), operator.group(2)
        bad = (name in LIST_OPERATORS and _list_value(name, raw) is None) or (
            name in DATE_OPERATORS and _date_value(raw) is None
        )
        if bad:
            kept.append(text[position : match.start()])
            position = match.end()
    kept.append(text[position:])
    return _SPACES.sub(" ", "".join(kept)).strip()
