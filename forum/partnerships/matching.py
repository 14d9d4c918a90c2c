"""Matchmaking: which partnerships have most in common with a partnership or a member.

Score = 2 × shared target countries + 3 × shared sectors; ties by name; a score of zero
is no match. Every match says why, in words, so a reader can judge it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import Integer, Select, and_, func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session, selectinload

from forum.core import formats, i18n
from forum.core.i18n import _
from forum.core.pagination import InvalidCursorError, Page, decode_cursor, encode_cursor
from forum.partnerships.models import Partnership, PartnershipCountry, partnership_sector
from forum.taxonomy.models import Sector
from forum.taxonomy.regions import UnknownCountryError, expand_codes
from forum.taxonomy.service import Country, countries_for

COUNTRY_WEIGHT = 2
SECTOR_WEIGHT = 3

# Country names that read with "the" inside a sentence ("both target the United States").
_WITH_ARTICLE = frozenset(
    {"Bahamas", "Comoros", "Gambia", "Maldives", "Netherlands", "Philippines", "Seychelles"}
)
_ARTICLE_PREFIXES = ("United ", "Central African", "Dominican Republic", "Czech Republic")
_ARTICLE_SUFFIXES = (" Islands", " Republic", " Federation", " Emirates")


@dataclass(frozen=True)
class Interests:
    """What a match is measured against: ISO country codes and sector ids."""

    countries: frozenset[str]
    sector_ids: frozenset[int]
    # Partnerships never offered as matches (the subject itself).
    exclude: frozenset[int] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.countries and not self.sector_ids


@dataclass(frozen=True)
class Match:
    partnership: Partnership
    score: int
    shared_countries: list[Country]
    shared_sectors: list[Sector]
    reasons: list[str]

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def sentence(self) -> str:
        """The reason as a sentence: "Both target Japan; both work in healthcare."."""
        return f"{self.reason[:1].upper()}{self.reason[1:]}." if self.reason else ""


def country_in_sentence(name: str) -> str:
    """`name` as it reads after a verb: "the United States", "Japan"."""
    if (
        name in _WITH_ARTICLE
        or name.startswith(_ARTICLE_PREFIXES)
        or name.endswith(_ARTICLE_SUFFIXES)
    ):
        return f"the {name}"
    return name


def sector_in_sentence(name: str) -> str:
    """ "Healthcare" -> "healthcare"; acronyms ("ICT") keep their capitals."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def linked_words(links: Sequence[tuple[str, str]]) -> Markup:
    """Links ((url, text) pairs) joined as a list in the reader's language, as HTML: the
    texts escaped, the words between them ("and", "et") CLDR's."""
    slots = [f"\x00{i}\x00" for i in range(len(links))]
    parts = re.split(r"\x00(\d+)\x00", formats.format_list(slots))
    pieces = [
        Markup('<a href="{}">{}</a>').format(*links[int(part)]) if odd else escape(part)
        for odd, part in ((i % 2 == 1, part) for i, part in enumerate(parts))
    ]
    return Markup("").join(pieces)


def _english() -> bool:
    return i18n.language() == i18n.DEFAULT_LANGUAGE


def countries_in_sentence(countries: Sequence[Country]) -> str:
    """The countries' names joined as they read after a verb, in the reader's language:
    "Canada and the United States" ("Canada et États-Unis": the article is English only)."""
    if _english():
        return formats.format_list([country_in_sentence(c.name) for c in countries])
    return formats.format_list([c.label for c in countries])


def reasons_for(
    countries: Sequence[Country], sectors: Sequence[Sector], *, subject: str
) -> list[str]:
    """The reasons in words: ["both target Canada and the United States", "both work in healthcare"].

    `subject` starts each reason: "both" for two partnerships, "you both" for a member.
    """
    out = []
    you = subject == "you both"
    if countries:
        where = countries_in_sentence(countries)
        out.append(
            _("you both target %(countries)s", countries=where)
            if you
            else _("both target %(countries)s", countries=where)
        )
    if sectors:
        names = [sector_in_sentence(s.name) if _english() else s.label for s in sectors]
        what = formats.format_list(names)
        out.append(
            _("you both work in %(sectors)s", sectors=what)
            if you
            else _("both work in %(sectors)s", sectors=what)
        )
    return out


def interests_of_partnership(partnership: Partnership) -> Interests:
    return Interests(
        countries=frozenset(partnership.country_codes),
        sector_ids=frozenset(s.id for s in partnership.sectors),
        exclude=frozenset({partnership.id}),
    )


def interests_of_member(
    db: Session, follows: Mapping[str, list[str]], own: Partnership | None
) -> Interests:
    """A member's partnership (`own`, once approved) plus their country, region and sector
    follows (by type, as `notifications.service.list_follows` answers them).

    Their own partnership is never offered as a match.
    """
    countries = set(follows.get("country", []))
    for group in follows.get("region_group", []):
        # A group retired since it was followed no longer counts; the others still do.
        with suppress(UnknownCountryError):
            countries.update(expand_codes([group]))
    slugs = follows.get("sector", [])
    sector_ids = (
        set(db.scalars(select(Sector.id).where(Sector.slug.in_(slugs)))) if slugs else set()
    )
    exclude: set[int] = set()
    if own is not None:
        countries.update(own.country_codes)
        sector_ids.update(s.id for s in own.sectors)
        exclude.add(own.id)
    return Interests(frozenset(countries), frozenset(sector_ids), frozenset(exclude))


def _ranked(interests: Interests) -> Select[int, str, int]:
    """(id, name, score) of every partnership with a score above zero, unordered.

    One row per shared country (worth 2) and per shared sector (worth 3), summed per
    partnership: only partnerships with something in common are ever read. The weights are
    written into the SQL, not bound: PostgreSQL cannot type a bare parameter in a UNION.
    """
    points = union_all(
        select(
            PartnershipCountry.partnership_id.label("pid"),
            literal_column(str(COUNTRY_WEIGHT), Integer).label("w"),
        ).where(PartnershipCountry.country_code.in_(sorted(interests.countries))),
        select(
            partnership_sector.c.partnership_id.label("pid"),
            literal_column(str(SECTOR_WEIGHT), Integer).label("w"),
        ).where(partnership_sector.c.sector_id.in_(sorted(interests.sector_ids))),
    ).subquery()
    scores = (
        select(points.c.pid, func.sum(points.c.w).label("score")).group_by(points.c.pid).subquery()
    )
    stmt = select(Partnership.id.label("id"), Partnership.name.label("name"), scores.c.score).join(
        scores, scores.c.pid == Partnership.id
    )
    if interests.exclude:
        stmt = stmt.where(Partnership.id.not_in(sorted(interests.exclude)))
    return stmt


def _explain(
    db: Session, interests: Interests, rows: Iterable[tuple[int, int]], *, subject: str
) -> list[Match]:
    """Matches for (id, score) rows, in their order, with shared countries and sectors."""
    pairs = list(rows)
    loaded = {
        p.id: p
        for p in db.scalars(
            select(Partnership)
            .where(Partnership.id.in_([pid for pid, _ in pairs]))
            .options(selectinload(Partnership.sectors), selectinload(Partnership.country_rows))
        )
    }
    out = []
    for pid, score in pairs:
        partnership = loaded[pid]
        countries = countries_for(set(partnership.country_codes) & interests.countries)
        sectors = [s for s in partnership.sectors if s.id in interests.sector_ids]
        out.append(
            Match(
                partnership=partnership,
                score=int(score),
                shared_countries=countries,
                shared_sectors=sectors,
                reasons=reasons_for(countries, sectors, subject=subject),
            )
        )
    return out


def list_matches(
    db: Session,
    interests: Interests,
    *,
    subject: str = "both",
    cursor: str | None = None,
    limit: int = 20,
) -> tuple[list[Match], str | None]:
    """Best matches first (score, then name), by keyset cursor; the next cursor or None.

    Raises InvalidCursorError for a cursor this function did not make.
    """
    if interests.empty:
        return [], None
    ranked = _ranked(interests).subquery()
    stmt = select(ranked.c.id, ranked.c.score, ranked.c.name)
    if cursor:
        score, name, last_id = decode_cursor(cursor, arity=3)
        if not (isinstance(score, int) and isinstance(name, str) and isinstance(last_id, int)):
            raise InvalidCursorError
        stmt = stmt.where(
            or_(
                ranked.c.score < score,
                and_(
                    ranked.c.score == score,
                    or_(ranked.c.name > name, and_(ranked.c.name == name, ranked.c.id > last_id)),
                ),
            )
        )
    rows = list(
        db.execute(
            stmt.order_by(ranked.c.score.desc(), ranked.c.name, ranked.c.id).limit(limit + 1)
        )
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last_id, last_score, last_name = rows[-1]
        next_cursor = encode_cursor([int(last_score), last_name, last_id])
    return _explain(db, interests, ((r[0], r[1]) for r in rows), subject=subject), next_cursor


def page_matches(
    db: Session,
    interests: Interests,
    *,
    page: int,
    per_page: int,
    base_path: str,
    subject: str = "both",
) -> Page[Match]:
    """One numbered page of matches for an HTML list."""
    if interests.empty:
        return Page([], page, per_page, 0, base_path, {})
    ranked = _ranked(interests).subquery()
    total = db.scalar(select(func.count()).select_from(ranked)) or 0
    rows = db.execute(
        select(ranked.c.id, ranked.c.score)
        .order_by(ranked.c.score.desc(), ranked.c.name, ranked.c.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    items = _explain(db, interests, ((r[0], r[1]) for r in rows), subject=subject)
    return Page(items, page, per_page, total, base_path, {})


def matches_for_partnership(
    db: Session, partnership: Partnership, *, limit: int = 20
) -> list[Match]:
    """The best `limit` matches of `partnership`, best first."""
    matches, _ = list_matches(db, interests_of_partnership(partnership), limit=limit)
    return matches
