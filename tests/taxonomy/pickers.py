"""Reading a page's pickers (`ui.picker`) as a browser without scripts sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Option:
    value: str
    label: str
    search: str
    group: str
    selected: bool


@dataclass
class Picker:
    """One `<select>`: its attributes, and its options in document order."""

    attrs: dict[str, str]
    options: list[Option] = field(default_factory=list)

    @property
    def chosen(self) -> list[str]:
        return [o.value for o in self.options if o.selected]

    @property
    def values(self) -> list[str]:
        return [o.value for o in self.options]

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(o.group for o in self.options))

    def option(self, value: str) -> Option:
        return next(o for o in self.options if o.value == value)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.selects: dict[str, Picker] = {}
        self._select: Picker | None = None
        self._group = ""
        self._option: dict[str, str | None] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "select":
            self._select = Picker(values)
            self.selects[values.get("id", values.get("name", ""))] = self._select
        elif tag == "optgroup":
            self._group = values.get("label", "")
        elif tag == "option" and self._select is not None:
            self._option, self._text = dict(attrs), ""

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            o = self._option
            self._select.options.append(
                Option(str(o.get("value")), self._text.strip(), str(o.get("data-search") or ""),
                       self._group, "selected" in o)
            )  # fmt: skip
            self._option = None
        elif tag == "optgroup":
            self._group = ""
        elif tag == "select":
            self._select = None


def pickers(html: str) -> dict[str, Picker]:
    """Every `<select>` of the page by id."""
    reader = _Reader()
    reader.feed(html)
    return reader.selects
