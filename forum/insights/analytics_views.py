"""/admin/analytics: the platform team's figures, week by week, as a page and a CSV.

Moderators and admins only (`accounts.deps.Moderator`): a member gets 403, a visitor the
sign-in page. The period comes from the query string: `period` (4w, 12w, 12m) or two
dates `from` and `to`; anything else is a 422 with the reason.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape

from forum.accounts.deps import Moderator
from forum.accounts.service import can_administer
from forum.core.db import utcnow
from forum.core.formats import format_date, format_number, format_percent, machine_time
from forum.core.i18n import _, _l
from forum.core.web import DbSession, render
from forum.inbound.reasons import REASONS
from forum.insights import analytics, charts
from forum.insights import analytics_content as by_source
from forum.insights import analytics_email as email
from forum.insights import analytics_harvest as harvesting
from forum.insights import analytics_members as member_groups
from forum.insights import analytics_searches as searches
from forum.insights.weekly import Counted
from forum.taxonomy.filters import parse_filters

router = APIRouter(include_in_schema=False)

PERIOD_LABELS = {
    "4w": _l("The last 4 weeks"),
    "12w": _l("The last 12 weeks"),
    "12m": _l("The last 12 months"),
}
MEMBER_LABELS = {
    "registered": _l("Registered"),
    "verified": _l("Verified their email"),
    "approved": _l("Membership approved"),
    "active": _l("Active"),  # seen signed in that week (the text above the chart says so)
    "taking_part": _l("Taking part"),
}
CONTENT_LABELS = {
    "threads": _l("Discussions started"),
    "replies": _l("Replies"),
    "good_practices": _l("Good practices"),
    "items_by_members": _l("Intelligence by members"),
    "items_harvested": _l("Intelligence harvested"),
    "events": _l("Events"),
}
INTEL_LABELS = {
    "items_by_members": _l("Written by members"),
    "items_harvested": _l("Harvested from feeds"),
}
SEARCH_LABELS = {
    "searches": _l("Searches"),
    "without_result": _l("Found nothing"),
    "signed_in": _l("By signed-in members"),
}
EMAIL_LABELS = {
    "digests_sent": _l("Digests sent"),
    "digests_skipped": _l("Digests skipped (nothing new)"),
    "digests_failed": _l("Digests failed"),
    "bounced": _l("Addresses bouncing"),
    "unsubscribed": _l("Unsubscribed"),
    "unsubscribe_share": _l("Unsubscribed, share of members sent a digest"),
}
POSTING_LABELS = {
    "posted_on_web": _l("Posts written on the web"),
    "posted_by_email": _l("Posts received by email"),
    "refused": _l("Mail refused"),
    "immediate_sent": _l("Immediate emails sent"),
    "immediate_held": _l("Immediate emails held back"),
}
BAR_CLASSES = ("bar-threads", "bar-items", "bar-events")  # colours from insights.css


def _period_error(code: str) -> str:
    return {
        "both": _("Give both dates, from and to, or neither."),
        "format": _("Dates are written as YYYY-MM-DD, e.g. 2026-01-31."),
        "order": _("The first date (from) must not be after the second (to)."),
        "long": _("Choose at most two years between the two dates."),
        "name": _("`period` is one of: %(values)s.", values=", ".join(analytics.PERIODS)),
    }[code]


def choose(period: str, start: str, end: str) -> analytics.Period:
    """The period asked for in the query string, or a 422 saying why not."""
    try:
        return analytics.choose_period(utcnow().date(), period, start, end)
    except analytics.PeriodError as error:
        raise HTTPException(422, _period_error(str(error))) from None


def focus_of(db: DbSession, country: str, sector: str) -> analytics.Focus:
    """The focus from `country` (a code or region group) and `sector` (a slug); 422 naming
    an unknown one."""
    codes, slugs = parse_filters(db, [country] if country else [], [sector] if sector else [])
    return analytics.Focus(tuple(codes), tuple(slugs))


@dataclass(frozen=True)
class AnalyticsQuery:
    """What the query string of every analytics route asks for: the period and focus,
    and the parameters as given (carried by the page's links)."""

    period: analytics.Period
    focus: analytics.Focus
    params: dict[str, str]  # period, from, to, country, sector: those given

    @property
    def country(self) -> str:
        return self.params.get("country", "")

    @property
    def sector(self) -> str:
        return self.params.get("sector", "")


def analytics_query(
    db: DbSession,
    period: Annotated[str, Query(max_length=4)] = "",
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    country: Annotated[str, Query(max_length=40)] = "",
    sector: Annotated[str, Query(max_length=80)] = "",
) -> AnalyticsQuery:
    """The period (`period`: 4w, 12w, 12m; or two dates `from` and `to`) and the focus
    (`country`: a code or region group; `sector`: a slug) of an analytics route; a 422
    with the reason for a bad one."""
    chosen = choose(period, start, end)
    focus = focus_of(db, country, sector)
    given = {"period": period, "from": start, "to": end, "country": country, "sector": sector}
    return AnalyticsQuery(chosen, focus, {key: value for key, value in given.items() if value})


# Declare it after the user's dependency: a visitor is sent away before a bad period is told.
Chosen = Annotated[AnalyticsQuery, Depends(analytics_query)]


def _shown(value: int | float | None, figure: str = "") -> str:
    """A withheld count in words, any other as a plain number (for the CSV); a share as a
    fraction with 4 decimals, empty when there is none."""
    if figure.endswith("_share"):
        return "" if value is None else f"{value:.4f}"
    return _("fewer than 5") if value is None else str(value)


def weekly_rows(rows: Sequence[Any], labels: Mapping[str, Any]) -> Markup:
    """The body rows of a week-by-week table (macro `weekly_table`): the week, then a cell
    per figure of `labels`; a withheld count in words, a share as a percentage (a dash
    when there is none). Drawn here rather than by the template: a 12-month page has some
    1,300 cells."""
    fewer = escape(_("fewer than 5"))
    none = Markup('<span aria-hidden="true">–</span><span class="visually-hidden">{}</span>')
    not_applicable = none.format(_("not applicable"))
    out = []
    for row in rows:
        out.append(
            f'\n          <tr><th scope="row"><time datetime="{escape(machine_time(row.week))}">'
            f"{escape(format_date(row.week))}</time></th>"
        )
        for key in labels:
            value = getattr(row, key)
            if key.endswith("_share"):
                cell = not_applicable if value is None else escape(format_percent(value))
            else:
                cell = fewer if value is None else escape(format_number(value))
            out.append(f'\n            <td data-figure="{escape(key)}">{cell}</td>')
        out.append("</tr>")
    return Markup("".join(out))  # noqa: S704 (every text in it is escaped above)


def _counts(labels: Mapping[str, Any]) -> dict[str, Any]:
    """`labels` without the shares: a chart draws counts."""
    return {key: label for key, label in labels.items() if not key.endswith("_share")}


def _reason(code: str) -> str:
    """A refusal's reason as the inbound mail page says it."""
    return str(REASONS.get(code, code or _("Other")))


def _weekly_chart(
    weeks: list[str], rows: Sequence[Any], labels: Mapping[str, Any], *, column_width: int = 170
) -> charts.ColumnChart:
    """A column chart of `rows` (one per week), a column per figure of `labels`."""
    return charts.column_chart(
        weeks,
        [
            (str(label), [getattr(r, key) for r in rows], BAR_CLASSES[i % 3])
            for i, (key, label) in enumerate(labels.items())
        ],
        column_width=column_width,
    )


def _member_groups(db: DbSession, focus: analytics.Focus) -> dict[str, Any]:
    """The members by country followed, by sector followed and by partnership: the first
    `member_groups.TOP` of each, with a ranked bar chart, and how many rows there are."""
    out: dict[str, Any] = {"member_groups_top": member_groups.TOP}
    for name, count in (
        ("countries", member_groups.by_country),
        ("sectors", member_groups.by_sector),
        ("partnerships", member_groups.by_partnership),
    ):
        rows = count(db, focus)
        top = rows[: member_groups.TOP]
        out[f"members_by_{name}"] = top
        out[f"members_by_{name}_total"] = len(rows)
        out[f"members_by_{name}_chart"] = charts.bar_chart(
            [(r.label, r.members, "bar-threads") for r in top], width=480, label_width=210
        )
    return out


@router.get("/admin/analytics", response_class=HTMLResponse)
def analytics_page(
    request: Request,
    db: DbSession,
    moderator: Moderator,
    asked: Chosen,
) -> HTMLResponse:
    chosen, focus = asked.period, asked.focus
    counted: Counted = {}  # the sources this request counted (posts serve three sections)
    rows = analytics.members(db, chosen, focus, counted)
    flow = analytics.content(db, chosen, focus, counted)
    search_weeks = searches.weeks(db, chosen, focus)
    email_weeks = email.weeks(db, chosen, counted)
    weeks = [format_date(r.week) for r in rows]
    sources = by_source.items_by_source(db, chosen, focus)
    return render(
        request,
        "insights/analytics.html",
        {
            "chosen": chosen,
            "weekly_rows": weekly_rows,
            "country": asked.country,
            "sector": asked.sector,
            "focused": bool(focus.countries or focus.sectors),
            "period_labels": PERIOD_LABELS,
            "query": request.url.query,
            "member_rows": rows,
            "member_labels": MEMBER_LABELS,
            "members_chart": _weekly_chart(weeks, rows, MEMBER_LABELS),
            "content_rows": flow,
            "content_labels": CONTENT_LABELS,
            "content_chart": _weekly_chart(weeks, flow, CONTENT_LABELS, column_width=130),
            "unanswered": analytics.unanswered(db, chosen, utcnow(), focus),
            "intel_labels": INTEL_LABELS,
            "intel_chart": _weekly_chart(weeks, flow, INTEL_LABELS),
            "sources": sources,
            "sources_chart": charts.bar_chart(
                [(s.name or _("Written by members"), s.items, "bar-items") for s in sources[:15]]
            ),
            "health": harvesting.feed_health(db, chosen),
            "feed_links": can_administer(moderator),  # /admin/feeds is for admins
            "search_rows": search_weeks,
            "search_labels": SEARCH_LABELS,
            "search_chart": _weekly_chart(weeks, search_weeks, SEARCH_LABELS),
            "email_rows": email_weeks,
            "email_labels": EMAIL_LABELS,
            "email_chart": _weekly_chart(
                weeks, email_weeks, _counts(EMAIL_LABELS), column_width=130
            ),
            "posting_labels": POSTING_LABELS,
            "posting_chart": _weekly_chart(weeks, email_weeks, POSTING_LABELS, column_width=130),
            "refusals": [(_reason(code), n) for code, n in email.refusals(db, chosen)],
            "top_queries": searches.top_queries(db, chosen, focus=focus),
            "empty_queries": searches.top_queries(db, chosen, without_result=True, focus=focus),
            "top_filters": searches.top_filters(db, chosen, focus),
            **_member_groups(db, focus),
        },
    )


SECTIONS = (
    "members",
    "content",
    "intelligence",
    "sources",
    "feeds",
    "searches",
    "queries",
    "no-results",
    "email",
    "refusals",
    *member_groups.SECTIONS,
)
QUERY_HEADER = ["query", "countries", "searches", "without_result"]


def _weekly(rows: list[Any], figures: tuple[str, ...]) -> list[list[str]]:
    return [["week", *figures]] + [
        [row.week.isoformat(), *(_shown(getattr(row, f), f) for f in figures)] for row in rows
    ]


def _queries(rows: list[searches.QueryCount]) -> list[list[str]]:
    return [QUERY_HEADER] + [
        [q.text, q.countries, str(q.searches), str(q.without_result)] for q in rows
    ]


def _section_rows(
    db: DbSession, section: str, chosen: analytics.Period, focus: analytics.Focus
) -> list[list[str]]:
    """The CSV of one section: a header row, then the rows the page's table shows."""
    if section == "members":
        return _weekly(list(analytics.members(db, chosen, focus)), analytics.MEMBER_FIGURES)
    if section in member_groups.SECTIONS:
        return member_groups.csv_rows(db, section, focus, _("fewer than 5"))
    if section == "content":
        return _weekly(list(analytics.content(db, chosen, focus)), analytics.CONTENT_FIGURES)
    if section == "intelligence":
        return _weekly(list(analytics.content(db, chosen, focus)), by_source.INTEL_FIGURES)
    if section == "sources":
        found = by_source.items_by_source(db, chosen, focus)
        return by_source.source_rows(found, _("Written by members"))
    if section == "feeds":
        return harvesting.health_rows(harvesting.feed_health(db, chosen))
    if section == "searches":
        return _weekly(list(searches.weeks(db, chosen, focus)), searches.SEARCH_FIGURES)
    if section == "email":
        return _weekly(list(email.weeks(db, chosen)), email.EMAIL_FIGURES)
    if section == "refusals":
        return [["reason", "label", "refused"]] + [
            [code, _reason(code), str(n)] for code, n in email.refusals(db, chosen)
        ]
    return _queries(
        searches.top_queries(db, chosen, without_result=section == "no-results", focus=focus)
    )


def csv_section(section: str) -> str:
    """The section of a CSV's path, or a 404 (before the period is looked at)."""
    if section not in SECTIONS:
        raise HTTPException(404, _("There is no such section of the analytics."))
    return section


@router.get("/admin/analytics/{section}.csv")
def section_csv(
    db: DbSession,
    moderator: Moderator,
    section: Annotated[str, Depends(csv_section)],
    asked: Chosen,
) -> Response:
    chosen = asked.period
    out = io.StringIO()
    csv.writer(out).writerows(_section_rows(db, section, chosen, asked.focus))
    name = f"analytics-{section}-{chosen.start.isoformat()}-{chosen.end.isoformat()}.csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
