"""The filters of a list page as links: facet values that toggle themselves in the query
string, the active filters as removable chips, and each facet's top values with the rest
behind "show all". The intelligence list, the search page and the events lists share it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

from forum.core.collation import sort_key

# How many values a facet shows before "Show all …" (the most frequent; active ones always).
FACET_TOP = 8
# Parameters that point into one page of results: a changed filter starts at the first page.
PAGE_KEYS = ("page", "cursor")


@dataclass(frozen=True)
class ListQuery:
    """A list page's address: its path and its query parameters, in order, without the
    empty ones. Every method answers a new address; the page number is always dropped."""

    path: str
    items: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, path: str, params: Mapping[str, object]) -> ListQuery:
        """From `{"country": ["JP", "KR"], "from": "", "sort": "added"}`: lists repeat their
        key, empty values and page numbers are left out."""
        items: list[tuple[str, str]] = []
        for key, value in params.items():
            values = value if isinstance(value, list | tuple) else [value]
            items += [(key, str(v)) for v in values if v not in (None, "") and key not in PAGE_KEYS]
        return cls(path, tuple(items))

    def url(self, items: Iterable[tuple[str, str]] | None = None) -> str:
        kept = list(self.items if items is None else items)
        return f"{self.path}?{urlencode(kept)}" if kept else self.path

    def has(self, key: str, value: str) -> bool:
        return (key, value) in self.items

    def values(self, key: str) -> list[str]:
        return [v for k, v in self.items if k == key]

    def toggled(self, key: str, value: str) -> str:
        """The address with `key=value` added, or removed when it is there."""
        if self.has(key, value):
            return self.without(key, value)
        return self.url([*self.items, (key, value)])

    def toggler(self, key: str) -> Callable[[str], str]:
        """`toggled` for one key: what a facet of `key` needs for its values' links."""
        return lambda value: self.toggled(key, value)

    def without(self, key: str, value: str | None = None) -> str:
        """The address without `key=value` (without every `key` when `value` is None)."""
        return self.url(
            (k, v) for k, v in self.items if not (k == key and (value is None or v == value))
        )

    def replaced(self, key: str, value: str) -> str:
        """The address with `key` set to the one `value` (a sort, say)."""
        return self.url([*((k, v) for k, v in self.items if k != key), (key, value)])

    def keeping(self, keys: Sequence[str]) -> str:
        """The address with only the parameters `keys` (e.g. "mine" when clearing filters)."""
        return self.url((k, v) for k, v in self.items if k in keys)


def normalized_places(values: Sequence[str]) -> list[str]:
    """Country filters as facets name them, each once: ISO codes upper case, region
    groups (`g:…`) lower case."""
    out: list[str] = []
    for value in values:
        value = value.strip()
        code = value.lower() if value.lower().startswith("g:") else value.upper()
        if code and code not in out:
            out.append(code)
    return out


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    active: bool
    url: str  # adds the filter, or removes it when active


@dataclass(frozen=True)
class Facet:
    """One facet: the values shown at once (`top`) and the rest (`more`), for "Show all"."""

    name: str
    title: str
    top: list[FacetValue]
    more: list[FacetValue] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.top) + len(self.more)


@dataclass(frozen=True)
class Chip:
    """An active filter in words ("Country: Japan"), with the address of the list without it."""

    text: str
    remove_url: str


def build_facet(
    name: str,
    title: str,
    counts: Mapping[str, int],
    chosen: Sequence[str],
    *,
    label: Callable[[str], str],
    url: Callable[[str], str],
    top: int = FACET_TOP,
    order: Sequence[str] | None = None,
) -> Facet | None:
    """A facet of every value with a count, and every chosen one (a filter must stay
    removable where it matches nothing). The `top` most frequent and the chosen ones are
    shown first, by count then label; the rest follow in `more` by label, so that a value
    with one item can be found and chosen. `order`, when given, is a fixed order of the
    values instead (kinds in their usual order). None when there is no value at all."""
    merged = dict(counts)
    for value in chosen:
        merged.setdefault(value, 0)
    if not merged:
        return None
    values = {
        v: FacetValue(v, label(v), n, v in chosen, url(v)) for v, n in merged.items()
    }  # fmt: skip
    # Labels in the order of the reader's language (ICU collation: "Émirats arabes unis"
    # among the E's in French).
    keys = {v: sort_key(f.label) for v, f in values.items()}
    ranked = sorted(values.values(), key=lambda f: (-f.count, keys[f.value]))
    shown = [f for f in ranked if f.active]
    shown += [f for f in ranked if not f.active][: max(0, top - len(shown))]
    rest = [f for f in ranked if f not in shown]
    if order is not None:
        position = {v: i for i, v in enumerate(order)}
        shown.sort(key=lambda f: position.get(f.value, len(position)))
        rest.sort(key=lambda f: position.get(f.value, len(position)))
    else:
        shown.sort(key=lambda f: (-f.count, keys[f.value]))
        rest.sort(key=lambda f: keys[f.value])
    return Facet(name, title, shown, rest)
