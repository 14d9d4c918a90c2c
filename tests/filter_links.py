"""Reading the shared filter panel of a list page (templates/macros/filters.html) as a person
sees it: each facet's links, the "Show all" group, the active filter chips, and the links of
an empty state that names the filters."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Link:
    text: str
    href: str
    current: bool = False
    in_more: bool = False  # behind "Show all …"

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.href).query)

    @property
    def path(self) -> str:
        return urlsplit(self.href).path


@dataclass
class Panel:
    facets: dict[str, list[Link]] = field(default_factory=dict)
    more_labels: dict[str, str] = field(default_factory=dict)
    chips: list[Link] = field(default_factory=list)
    removes: list[Link] = field(default_factory=list)  # the empty state's "Remove …"
    control: str | None = None  # the "Filters (n)" summary

    def facet(self, name: str) -> list[Link]:
        return self.facets[name]

    def value(self, name: str, label: str) -> Link:
        """The link of the facet value whose text starts with `label` + " ("."""
        found = [
            link
            for link in self.facets[name]
            if link.text.removeprefix("✓ ").startswith(label + " (")
        ]
        assert len(found) == 1, (label, [link.text for link in self.facets[name]])
        return found[0]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.panel = Panel()
        self.stack: list[tuple[str, dict[str, str]]] = []
        self.link: Link | None = None
        self.text: list[str] = []
        self.target: list[Link] | None = None
        self.summary: str | None = None
        self.summary_text: list[str] = []
        self.facet_of_more: str | None = None
        self.last_facet: str | None = None

    def _within(self, tag: str, cls: str) -> bool:
        return any(t == tag and cls in a.get("class", "").split() for t, a in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in ("br", "input", "img", "meta", "link"):
            return
        self.stack.append((tag, values))
        if tag == "summary":
            self.summary = values.get("class", "")
            self.summary_text = []
        if tag == "ul":
            labelled = values.get("aria-labelledby", "")
            classes = values.get("class", "").split()
            if "facet-list" in classes and labelled.startswith("facet-"):
                name = labelled.removeprefix("facet-")
                self.last_facet = name
                self.target = self.panel.facets.setdefault(name, [])
            elif "active-filters" in classes:
                self.target = self.panel.chips
            elif self._within("div", "empty-state"):
                self.target = self.panel.removes
        if tag == "a" and self.target is not None:
            self.link = Link(
                "",
                values.get("href", ""),
                values.get("aria-current") == "true",
                self._within("details", "facet-more"),
            )
            self.text = []

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            top, _attrs = self.stack.pop()
            if top == tag:
                break
        if tag == "a" and self.link is not None and self.target is not None:
            self.link.text = " ".join("".join(self.text).split())
            self.target.append(self.link)
            self.link = None
        if tag == "ul":
            self.target = None
        if tag == "summary" and self.summary is not None:
            text = " ".join("".join(self.summary_text).split())
            if "filter-panel-toggle" in self.summary:
                self.panel.control = text
            elif self.last_facet is not None:
                self.panel.more_labels[self.last_facet] = text
            self.summary = None

    def handle_data(self, data: str) -> None:
        if self.link is not None:
            self.text.append(data)
        if self.summary is not None:
            self.summary_text.append(data)


def read_panel(html: str) -> Panel:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.panel
