"""The labelled set of real published items: loading, the split rule, and the tagger's scores.

The set is `data/published/{en,fr,de,es,it}.jsonl` (its README says where the items come
from and how they were labelled; `docs/intelligence.md` has the rules). The test part is
what the figures that count are computed on; tuning may look at the dev part only.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from forum.intelligence.tagging import Tags, tag

DATA = Path(__file__).parent / "data" / "published"
LANGUAGES = ("en", "fr", "de", "es", "it")
SPLITS = ("dev", "test")

# The acceptance bars of issue 27: overall, and each language at most SLACK below.
BARS = {
    ("countries", "precision"): 0.99,
    ("countries", "recall"): 0.95,
    ("sectors", "precision"): 0.93,
    ("sectors", "recall"): 0.90,
}
SLACK = 0.05


def split_of(item_id: str) -> str:
    """The part an item belongs to: the first byte of the SHA-256 of its id, even for dev."""
    return "dev" if hashlib.sha256(item_id.encode("utf-8")).digest()[0] % 2 == 0 else "test"


@cache
def items() -> tuple[dict[str, Any], ...]:
    rows: list[dict[str, Any]] = []
    for language in LANGUAGES:
        with (DATA / f"{language}.jsonl").open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return tuple(rows)


def _tag_item(row: dict[str, Any]) -> Tags:
    """The current tagger on one item, with the item's language when the tagger takes one."""
    if "language" in inspect.signature(tag).parameters:
        return tag(row["title"], row["text"], language=row["language"])  # type: ignore[call-arg]
    return tag(row["title"], row["text"])


@cache
def tagged() -> tuple[tuple[dict[str, Any], Tags], ...]:
    return tuple((row, _tag_item(row)) for row in items())


@dataclass(frozen=True)
class Score:
    true_positives: int
    false_positives: int
    false_negatives: int
    errors: tuple[str, ...]

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else 1.0


FIELDS: dict[str, Callable[[Tags], frozenset[str]]] = {
    "countries": lambda tags: tags.countries,
    "sectors": lambda tags: tags.sectors,
}


def score(field: str, split: str, language: str | None = None) -> Score:
    """Precision and recall of one field on one part, for one language or all of them."""
    tp = fp = fn = 0
    errors = []
    found_in = FIELDS[field]
    for row, tags in tagged():
        if row["split"] != split or (language is not None and row["language"] != language):
            continue
        got = set(found_in(tags))
        expected = set(row[field])
        tp += len(got & expected)
        fp += len(got - expected)
        fn += len(expected - got)
        if got != expected:
            errors.append(f"{row['id']}: got {sorted(got)}, expected {sorted(expected)}")
    return Score(tp, fp, fn, tuple(errors))


def table(splits: Iterable[str] = SPLITS) -> str:
    """The figures per part, language and field, as a plain-text table."""
    lines = [
        "tagger on real published items (tests/intelligence/data/published):",
        f"{'part':<5} {'lang':<4} {'items':>5}  "
        f"{'countries P':>11} {'R':>5}  {'sectors P':>9} {'R':>5}",
    ]
    for split in splits:
        for language in (*LANGUAGES, None):
            count = sum(
                1
                for row in items()
                if row["split"] == split and (language is None or row["language"] == language)
            )
            c = score("countries", split, language)
            s = score("sectors", split, language)
            lines.append(
                f"{split:<5} {language or 'all':<4} {count:>5}  "
                f"{c.precision:>11.3f} {c.recall:>5.3f}  {s.precision:>9.3f} {s.recall:>5.3f}"
            )
    bars = ", ".join(f"{field} {measure} {bar}" for (field, measure), bar in BARS.items())
    lines.append(f"bars on the test part: {bars} (overall); each language at most {SLACK} below")
    return "\n".join(lines)


def shortfalls(split: str = "test") -> list[str]:
    """Every bar the tagger misses on a part, overall or in a language; empty when it passes."""
    missed = []
    for (field, measure), bar in BARS.items():
        for language, needed in ((None, bar), *((lang, bar - SLACK) for lang in LANGUAGES)):
            value = getattr(score(field, split, language), measure)
            if value < needed - 1e-9:
                missed.append(
                    f"{field} {measure} {language or 'overall'}: {value:.3f} < {needed:.2f}"
                )
    return missed
