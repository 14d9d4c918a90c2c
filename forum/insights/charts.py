"""Chart geometry for server-rendered SVG: the world map, ranked bars, columns of bars.

Templates draw what these return; colours are CSS classes (`map-level-N`, `bar`), never
inline styles (the CSP allows none). The map's shapes come from `data/world.json`, made
once by `tools/build_world_map.py` (source and licence in `data/README.md`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from markupsafe import Markup, escape

from forum.core.formats import format_number
from forum.core.i18n import _, ngettext
from forum.taxonomy.service import get_country

LEVELS = 5  # colour classes on the map, besides "none"


@dataclass(frozen=True)
class Level:
    index: int  # 1..LEVELS: the CSS class map-level-N
    low: int
    high: int

    @property
    def label(self) -> str:
        low, high = format_number(self.low), format_number(self.high)
        span = low if self.low == self.high else f"{low}–{high}"
        return ngettext("%(span)s partnership", "%(span)s partnerships", self.high, span=span)

    def holds(self, count: int) -> bool:
        return self.low <= count <= self.high


def levels_for(largest: int, n: int = LEVELS) -> list[Level]:
    """Colour classes for counts 1..largest: one per count while they fit, else 1, 2 and
    the rest of the range in near-equal parts (most countries have one or two)."""
    if largest <= 0:
        return []
    if largest <= n:
        return [Level(i, i, i) for i in range(1, largest + 1)]
    rest = n - 2
    low = 3
    size, extra = divmod(largest - 2, rest)
    out = [Level(1, 1, 1), Level(2, 2, 2)]
    for i in range(rest):
        # The larger parts go to the top of the range, where counts are rare.
        high = low + size - 1 + (1 if i >= rest - extra else 0)
        out.append(Level(i + 3, low, high))
        low = high + 1
    return out


def level_of(count: int, levels: Sequence[Level]) -> int:
    return next((lv.index for lv in levels if lv.holds(count)), 0)


@dataclass(frozen=True)
class MapShape:
    code: str
    name: str
    path: str | None
    marker: tuple[float, float] | None  # drawn for tiny countries, only when counted
    count: int
    level: int

    @property
    def title(self) -> str:
        if not self.count:
            return _("%(name)s: no partnership", name=self.name)
        return ngettext(
            "%(name)s: %(count)s partnership",
            "%(name)s: %(count)s partnerships",
            self.count,
            name=self.name,
            count=format_number(self.count),
        )


@dataclass(frozen=True)
class WorldMap:
    width: int
    height: int
    shapes: list[MapShape]
    levels: list[Level]

    @property
    def markers(self) -> list[MapShape]:
        return [s for s in self.shapes if s.marker is not None and s.count]


@cache
def world_data() -> dict[str, Any]:
    """The committed map: {"width", "height", "countries": {ISO: {"d", "marker", "name"}}}."""
    text = resources.files("forum.insights").joinpath("data/world.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def world_map(counts: dict[str, int]) -> WorldMap:
    """The map with each country classed by its count (counts keyed by ISO alpha-2)."""
    data = world_data()
    levels = levels_for(max(counts.values(), default=0))
    shapes = []
    for code, entry in data["countries"].items():
        country = get_country(code)
        name = country.label if country else entry.get("name", code)
        count = counts.get(code, 0)
        marker = entry.get("marker")
        shapes.append(
            MapShape(
                code=code,
                name=name,
                path=entry.get("d"),
                marker=(marker[0], marker[1]) if marker else None,
                count=count,
                level=level_of(count, levels),
            )
        )
    return WorldMap(int(data["width"]), int(data["height"]), shapes, levels)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float
    css: str  # extra class for the bar, e.g. map-level-3
    text: str = ""  # shown instead of the value when set (a withheld count)


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one row each, the label left and the number right of the bar."""

    width: int
    height: int
    label_width: int
    row_height: int
    bars: list[Bar]

    @property
    def bar_height(self) -> float:
        return self.row_height * 0.7

    @property
    def text_dy(self) -> float:
        return self.row_height * 0.5

    @property
    def body(self) -> Markup:
        """The bars as SVG elements (macro `bars`): a label, a bar, a value each."""
        out = []
        at, dy, high = self.label_width, self.text_dy, self.bar_height
        offset = (self.row_height - high) / 2
        for b in self.bars:
            out.append(
                f'\n  <text class="chart-label" x="{at - 8}" y="{b.y + dy}" text-anchor="end" '
                f'dominant-baseline="central">{escape(b.label)}</text>'
                f'\n  <rect class="bar {escape(b.css)}" x="{at}" y="{b.y + offset:.1f}" '
                f'width="{b.width:.1f}" height="{high:.1f}"></rect>'
                f'\n  <text class="chart-value" x="{at + b.width + 6:.1f}" y="{b.y + dy}" '
                f'dominant-baseline="central">{_value(b)}</text>'
            )
        return Markup("".join(out))  # noqa: S704 (every text in it is escaped above)


def _value(bar: Bar) -> Markup:
    """A bar's number in the reader's notation, or its words (a withheld count)."""
    return escape(bar.text or format_number(bar.value))


def bar_chart(
    rows: Sequence[tuple[str, int | None, str]],
    *,
    width: int = 420,
    label_width: int = 160,
    row_height: int = 24,
    value_room: int = 36,
) -> BarChart:
    """Rows of (label, value, css class) in the order given; bar lengths share one scale.
    A value of None is a count withheld (fewer than 5 people): no bar, and the words."""
    largest = max((v for _, v, _ in rows if v is not None), default=0) or 1
    room = width - label_width - value_room
    bars = [
        Bar(
            label,
            value or 0,
            i * row_height,
            max((value or 0) / largest * room, 1.0 if value else 0.0),
            css,
            _("fewer than 5") if value is None else "",
        )
        for i, (label, value, css) in enumerate(rows)
    ]
    return BarChart(width, max(len(rows), 1) * row_height, label_width, row_height, bars)


@dataclass(frozen=True)
class Column:
    title: str
    x: int
    width: int
    css: str
    bars: list[Bar]


@dataclass(frozen=True)
class ColumnChart:
    """Rows of labels with one bar per column (e.g. threads, items, events per sector).

    Each column has its own scale and a heading, so no colour is needed to tell them apart.
    """

    width: int
    height: int
    header: int
    label_width: int
    row_height: int
    labels: list[tuple[str, float]]
    columns: list[Column]

    @property
    def bar_height(self) -> float:
        return self.row_height * 0.7

    @property
    def text_dy(self) -> float:
        return self.row_height * 0.5

    @property
    def body(self) -> Markup:
        """The headings, labels and bars as SVG elements (macro `columns`), drawn here
        rather than by the template: a 12-month page draws some 1,500 bars."""
        dy, high = self.text_dy, self.bar_height
        offset = (self.row_height - high) / 2
        out = [
            f'\n  <text class="chart-heading" x="{col.x}" y="{self.header / 2}" '
            f'dominant-baseline="central">{escape(col.title)}</text>'
            for col in self.columns
        ]
        out += [
            f'\n  <text class="chart-label" x="{self.label_width - 10}" y="{y + dy}" '
            f'text-anchor="end" dominant-baseline="central">{escape(label)}</text>'
            for label, y in self.labels
        ]
        for col in self.columns:
            for b in col.bars:
                out.append(
                    f'\n  <rect class="bar {escape(b.css)}" x="{col.x}" y="{b.y + offset:.1f}" '
                    f'width="{b.width:.1f}" height="{high:.1f}"></rect>'
                    f'\n  <text class="chart-value" x="{col.x + b.width + 6:.1f}" y="{b.y + dy}" '
                    f'dominant-baseline="central">{_value(b)}</text>'
                )
        return Markup("".join(out))  # noqa: S704 (every text in it is escaped above)


def column_chart(
    labels: Sequence[str],
    columns: Sequence[tuple[str, Sequence[int | None], str]],
    *,
    label_width: int = 190,
    column_width: int = 170,
    row_height: int = 24,
    header: int = 28,
    value_room: int = 36,
) -> ColumnChart:
    """`columns` are (title, one value per label, css class). A value of None is a count
    withheld (fewer than 5 people): no bar, and the words instead of a number."""
    out = []
    for i, (title, values, css) in enumerate(columns):
        largest = max((v for v in values if v is not None), default=0) or 1
        room = column_width - value_room - 8
        bars = [
            Bar(
                labels[r],
                v or 0,
                header + r * row_height,
                max((v or 0) / largest * room, 1.0 if v else 0.0),
                css,
                _("fewer than 5") if v is None else "",
            )
            for r, v in enumerate(values)
        ]
        out.append(Column(title, label_width + i * column_width, column_width, css, bars))
    return ColumnChart(
        width=label_width + len(columns) * column_width,
        height=header + max(len(labels), 1) * row_height,
        header=header,
        label_width=label_width,
        row_height=row_height,
        labels=[(label, header + r * row_height) for r, label in enumerate(labels)],
        columns=out,
    )
