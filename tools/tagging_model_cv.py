"""Does a small model over the rule tagger's candidate tags earn its keep? (issue 27, sixth round)

Reads the development part of the labelled set only: each row of
`tests/intelligence/data/published/*.jsonl` whose split is not "dev" is dropped as it is read,
before its text or labels are looked at. Prints out-of-fold precision and recall on that part
for the rules alone and for the rules with a model (docs/intelligence.md, "A model over the
rules' candidates").

- Confirmation: a logistic regression (standard library, batch gradient descent, L2, no
  randomness) over each candidate tag the rules give, with the features the issue suggests:
  the trigger words, where they stand (title, first sentence, body only), how many distinct
  triggers and hits, the tag's share of the item's hits, whether it is the item's top tag, how
  many tags the item has, its language, the sector, the two words either side of each
  trigger. Its threshold is picked by 5-fold cross-validation inside each outer fold (nested),
  maximising F1; a threshold of 0 keeps every candidate (the rules alone).
- Addition: a Bernoulli naive Bayes over the item's words proposes sectors the rules missed
  above a threshold picked the same way.
- `--temporal`: the rules were tuned on the development part, so on it their candidates are
  nearly all right and a model has little to learn from. The taggers of earlier rounds (read
  from git, as benchmarks/bench_tagging.py reads the old one) met the items labelled after them
  unseen: their candidates there are errors of generalisation. The confirmation model is
  cross-validated on those, then trained on all of them and applied to today's candidates on
  the development items the earlier taggers were tuned on (which it has not seen).

Deterministic: folds are fixed by the SHA-256 of each item's id, training has no randomness.
Usage: .venv/bin/python tools/tagging_model_cv.py [--temporal]   (a few minutes)
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import math
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forum.intelligence.tag_text import fold_in_place  # noqa: E402
from forum.intelligence.tagging import tag  # noqa: E402
from forum.taxonomy.service import REPORT_SECTORS  # noqa: E402

DATA = ROOT / "tests" / "intelligence" / "data" / "published"
LANGUAGES = ("en", "fr", "de", "es", "it")
K = 5
THRESHOLDS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# Earlier rounds' taggers: the end of the third round (823 items labelled) and of the fourth
# (1,005 items); each met the development items labelled after it unseen.
EARLIER = ("927db1c", "c3db331")
STRUCTURAL = ("T:", "L:", "R:", "tag:")  # prefixes left out of the structural feature set
_WORD = re.compile(r"\w+")

Row = dict[str, Any]
Features = dict[str, float]
Candidates = dict[str, Features]  # tag -> features
Example = tuple[Row, Candidates]


def dev_rows() -> list[Row]:
    """The development part; every other row is dropped as it is read."""
    rows = []
    for language in LANGUAGES:
        with (DATA / f"{language}.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip() and '"split": "dev"' in line:
                    row = json.loads(line)
                    if row["split"] == "dev":
                        rows.append(row)
    return rows


def fold_of(item_id: str, salt: str = "") -> int:
    return hashlib.sha256((salt + item_id).encode("utf-8")).digest()[0] % K


def _fold(text: str) -> str:
    return fold_in_place(text.lower())


def _at(text: str, word: str) -> list[int]:
    return [m.start() for m in re.finditer(r"(?<!\w)" + re.escape(word), text, flags=re.I)]


def candidates(row: Row, reasons: dict[str, list[str]], structural: bool = False) -> Candidates:
    """Features of each tag the rules gave an item (`reasons`: tag -> trigger words)."""
    title = row["title"]
    text = f"{title}\n{row['text']}"
    first_end = len(title) + 1 + len(re.split(r"(?<=[.!?])\s", row["text"], maxsplit=1)[0])
    hits = {t: sum(max(1, len(_at(text, w))) for w in words) for t, words in reasons.items()}
    total, top = sum(hits.values()), max(hits.values(), default=0)
    out: Candidates = {}
    for code, words in reasons.items():
        where = [p for w in words for p in _at(text, w)]
        f: Features = {"bias": 1.0, f"lang:{row['language']}": 1.0, f"tag:{code}": 1.0}
        f["title"] = float(any(p < len(title) for p in where))
        f["first"] = float(any(p < first_end for p in where))
        f["bodyonly"] = 1.0 - f["first"]
        f["distinct>1"] = float(len(words) > 1)
        f["hits>1"] = float(hits[code] > 1)
        f["share"] = hits[code] / total
        f["top"] = float(hits[code] == top)
        f["tags"] = min(len(reasons), 5) / 5
        for w in words:
            f["T:" + _fold(w)] = 1.0
            for p in _at(text, w):
                for x in _WORD.findall(_fold(text[max(0, p - 40) : p]))[-2:]:
                    f["L:" + x] = 1.0
                for x in _WORD.findall(_fold(text[p + len(w) : p + len(w) + 40]))[:2]:
                    f["R:" + x] = 1.0
        if structural:
            f = {k: v for k, v in f.items() if not k.startswith(STRUCTURAL)}
        out[code] = f
    return out


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def train(examples: Iterable[Example], field: str, l2: float = 1.0) -> dict[str, float]:
    """Logistic regression by batch gradient descent (200 steps, rate 0.5, L2 but on the bias)."""
    xs: list[Features] = []
    ys: list[float] = []
    for row, cands in examples:
        for code, f in cands.items():
            xs.append(f)
            ys.append(float(code in row[field]))
    w: dict[str, float] = {}
    for _ in range(200):
        grad: dict[str, float] = {}
        for f, y in zip(xs, ys, strict=True):
            error = _sigmoid(sum(w.get(k, 0.0) * v for k, v in f.items())) - y
            for k, v in f.items():
                grad[k] = grad.get(k, 0.0) + error * v
        for k in grad.keys() | w.keys():
            reg = 0.0 if k == "bias" else l2 * w.get(k, 0.0)
            w[k] = w.get(k, 0.0) - 0.5 * (grad.get(k, 0.0) + reg) / len(xs)
    return w


def _score(w: dict[str, float], cands: Candidates) -> dict[str, float]:
    return {c: _sigmoid(sum(w.get(k, 0.0) * v for k, v in f.items())) for c, f in cands.items()}


Counts = tuple[int, int, int]


def counts(rows: Iterable[tuple[Row, set[str]]], field: str) -> Counts:
    tp = fp = fn = 0
    for row, got in rows:
        expected = set(row[field])
        tp, fp, fn = tp + len(got & expected), fp + len(got - expected), fn + len(expected - got)
    return tp, fp, fn


def f1(c: Counts) -> float:
    return 2 * c[0] / (2 * c[0] + c[1] + c[2]) if c[0] else 0.0


def show(name: str, c: Counts) -> str:
    p = c[0] / (c[0] + c[1]) if c[0] + c[1] else 1.0
    r = c[0] / (c[0] + c[2]) if c[0] + c[2] else 1.0
    return f"{name:<52} TP {c[0]:>3} FP {c[1]:>3} FN {c[2]:>3}  P {p:.3f}  R {r:.3f}"


def _kept(scored: list[dict[str, float]], threshold: float) -> list[set[str]]:
    return [{c for c, p in s.items() if p >= threshold} for s in scored]


def nested(examples: list[Example], field: str) -> tuple[Counts, list[float]]:
    """Out-of-fold counts of rules + confirmation model, the threshold picked by an inner
    cross-validation in each outer fold."""
    got: list[set[str]] = [set() for _ in examples]
    chosen = []
    for outer in range(K):
        train_part = [e for e in examples if fold_of(e[0]["id"]) != outer]
        inner_scores: list[dict[str, float]] = [{} for _ in train_part]
        for inner in range(K):
            w = train([e for e in train_part if fold_of(e[0]["id"], "in") != inner], field)
            for i, e in enumerate(train_part):
                if fold_of(e[0]["id"], "in") == inner:
                    inner_scores[i] = _score(w, e[1])
        rows = [e[0] for e in train_part]
        best = max(
            THRESHOLDS,
            key=lambda t: (f1(counts(zip(rows, _kept(inner_scores, t), strict=True), field)), -t),
        )
        chosen.append(best)
        w = train(train_part, field)
        for i, e in enumerate(examples):
            if fold_of(e[0]["id"]) == outer:
                got[i] = _kept([_score(w, e[1])], best)[0]
    return counts(zip((e[0] for e in examples), got, strict=True), field), chosen


def rules_alone(examples: list[Example], field: str) -> Counts:
    return counts(((row, set(cands)) for row, cands in examples), field)


def naive_bayes_addition(rows: list[Row], found: list[set[str]]) -> tuple[Counts, list[float]]:
    """Rules + sectors a Bernoulli naive Bayes proposes above a threshold (log-odds), nested."""
    sectors = [slug for slug, _, _ in REPORT_SECTORS]
    words = [
        set(_WORD.findall(_fold(f"{r['title']} {r['text']}")))
        | {"title:" + x for x in _WORD.findall(_fold(r["title"]))}
        for r in rows
    ]
    grid = (5.0, 10.0, 20.0, 40.0, math.inf)

    def fit(index: list[int]) -> Callable[[set[str]], dict[str, float]]:
        df = Counter(x for i in index for x in words[i])
        vocabulary = sorted(x for x, n in df.items() if n >= 2)
        model = {}
        for s in sectors:
            pos = [i for i in index if s in rows[i]["sectors"]]
            neg = len(index) - len(pos)
            cp = Counter(x for i in pos for x in words[i])
            cn = Counter(x for i in index if s not in rows[i]["sectors"] for x in words[i])
            model[s] = (
                math.log((len(pos) + 1) / (neg + 1)),
                {
                    x: (
                        math.log((cp[x] + 0.5) / (len(pos) + 1))
                        - math.log((cn[x] + 0.5) / (neg + 1)),
                        math.log((len(pos) - cp[x] + 0.5) / (len(pos) + 1))
                        - math.log((neg - cn[x] + 0.5) / (neg + 1)),
                    )
                    for x in vocabulary
                },
            )

        def score(ws: set[str]) -> dict[str, float]:
            return {
                s: prior + sum(on if x in ws else off for x, (on, off) in table.items())
                for s, (prior, table) in model.items()
            }

        return score

    def added(index: list[int], scores: dict[int, dict[str, float]], t: float) -> Counts:
        return counts(
            ((rows[i], found[i] | {s for s, z in scores[i].items() if z >= t}) for i in index),
            "sectors",
        )

    everything = list(range(len(rows)))
    result: dict[int, set[str]] = {}
    chosen = []
    for outer in range(K):
        train_index = [i for i in everything if fold_of(rows[i]["id"]) != outer]
        inner_scores: dict[int, dict[str, float]] = {}
        for inner in range(K):
            score = fit([i for i in train_index if fold_of(rows[i]["id"], "in") != inner])
            for i in train_index:
                if fold_of(rows[i]["id"], "in") == inner:
                    inner_scores[i] = score(words[i])
        best = max(grid, key=lambda t: (f1(added(train_index, inner_scores, t)), t))
        chosen.append(best)
        score = fit(train_index)
        for i in everything:
            if fold_of(rows[i]["id"]) == outer:
                result[i] = found[i] | {s for s, z in score(words[i]).items() if z >= best}
    return counts(((rows[i], result[i]) for i in everything), "sectors"), chosen


def _git(*arguments: str) -> bytes:
    git = shutil.which("git")
    if git is None:
        raise SystemExit("--temporal reads the earlier taggers with git: install git")
    return subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [git, "-C", str(ROOT), *arguments], check=True, capture_output=True
    ).stdout


def earlier_tagger(commit: str, directory: Path) -> Callable[..., Any]:
    """`tag` as it was at `commit`: its forum/intelligence from `git archive`, renamed."""
    archive = _git("archive", commit, "forum/intelligence")
    name = f"tagger_{commit}"
    package = directory / name
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(directory / "x", filter="data")
    shutil.move(directory / "x" / "forum" / "intelligence", package)
    for module in package.glob("*.py"):
        module.write_text(module.read_text().replace("forum.intelligence", name))
    if str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
    return importlib.import_module(f"{name}.tagging").tag  # type: ignore[no-any-return]


def labelled_at(commit: str) -> set[str]:
    """Ids of the items the labelled set held at `commit`."""
    ids = set()
    for language in LANGUAGES:
        path = f"{commit}:tests/intelligence/data/published/{language}.jsonl"
        shown = _git("show", path).decode("utf-8")
        ids.update(re.findall(r'"id": "([^"]+)"', shown))
    return ids


def main(argv: list[str]) -> None:
    rows = dev_rows()
    print(f"development part: {len(rows)} items (the test part is not read)")
    tagged = [tag(r["title"], r["text"], language=r["language"]) for r in rows]
    for field, variants in (("sectors", (False, True)), ("countries", (True,))):
        for structural in variants:
            examples = [
                (r, candidates(r, dict(t.reasons[field]), structural))
                for r, t in zip(rows, tagged, strict=True)
            ]
            kind = "structural features" if structural else "all features"
            if structural == variants[0]:
                print(show(f"{field}: rules alone", rules_alone(examples, field)))
            result, chosen = nested(examples, field)
            print(show(f"{field}: rules + confirmation ({kind})", result), "thresholds", chosen)
    found = [set(t.sectors) for t in tagged]
    result, grid = naive_bayes_addition(rows, found)
    print(show("sectors: rules + naive Bayes additions", result), "thresholds", grid)
    if "--temporal" in argv:
        temporal(rows)


def temporal(rows: list[Row]) -> None:
    by_id = {r["id"]: r for r in rows}
    pool: list[Example] = []
    with tempfile.TemporaryDirectory(prefix="earlier-taggers-") as directory:
        for commit in EARLIER:
            earlier = earlier_tagger(commit, Path(directory))
            seen = labelled_at(commit)
            unseen = [r for r in rows if r["id"] not in seen]
            for field in ("sectors", "countries"):
                examples = [
                    (
                        r,
                        candidates(
                            r,
                            dict(
                                earlier(r["title"], r["text"], language=r["language"]).reasons[
                                    field
                                ]
                            ),
                            True,
                        ),
                    )
                    for r in unseen
                ]
                print(
                    show(
                        f"{commit}'s rules on {len(unseen)} unseen items: {field}",
                        rules_alone(examples, field),
                    )
                )
                result, chosen = nested(examples, field)
                print(
                    show("  + confirmation (structural), out of fold", result),
                    "thresholds",
                    chosen,
                )
                if field == "sectors":
                    pool.extend(examples)
    pooled, chosen = nested(pool, "sectors")
    print(show("both earlier taggers' unseen candidates, pooled", rules_alone(pool, "sectors")))
    print(show("  + confirmation (structural), out of fold", pooled), "thresholds", chosen)
    scored: list[dict[str, float]] = [{} for _ in pool]
    for part in range(K):  # the final threshold from the pool's out-of-fold scores
        w = train([e for e in pool if fold_of(e[0]["id"]) != part], "sectors")
        for i, e in enumerate(pool):
            if fold_of(e[0]["id"]) == part:
                scored[i] = _score(w, e[1])
    w = train(pool, "sectors")
    best = max(
        THRESHOLDS,
        key=lambda t: (
            f1(counts(zip((e[0] for e in pool), _kept(scored, t), strict=True), "sectors")),
            -t,
        ),
    )
    first = labelled_at(EARLIER[0])
    today = [
        (
            by_id[i],
            candidates(
                by_id[i],
                dict(
                    tag(by_id[i]["title"], by_id[i]["text"], language=by_id[i]["language"]).reasons[
                        "sectors"
                    ]
                ),
                True,
            ),
        )
        for i in sorted(first & by_id.keys())
    ]
    print(
        show(
            f"today's rules on the {len(today)} items the pool does not hold",
            rules_alone(today, "sectors"),
        )
    )
    kept = _kept([_score(w, cands) for _, cands in today], best)
    print(
        show(
            f"  + the pooled model (threshold {best})",
            counts(zip((e[0] for e in today), kept, strict=True), "sectors"),
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
