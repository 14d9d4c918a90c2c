"""Run the benchmarks: `python -m benchmarks [NAME ...]` (all when no name is given)."""

from __future__ import annotations

import importlib
import pkgutil
import sys

from rich.console import Console
from rich.table import Table

from benchmarks.harness import Result, append_results

console = Console()


def main(argv: list[str]) -> int:
    import benchmarks

    names = sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_")
    )
    wanted = [n for n in names if not argv or n.removeprefix("bench_") in argv]
    if not wanted:
        console.print(f"no benchmark matches {argv}; known: {names}")
        return 2
    results: list[Result] = []
    for name in wanted:
        console.rule(name)
        module = importlib.import_module(f"benchmarks.{name}")
        results.extend(module.run(console))
    table = Table("benchmark", "metric", "value", "goal", "note")
    for r in results:
        table.add_row(r.benchmark, r.metric, f"{r.value:.3f} {r.unit}", r.goal, r.note)
    console.print(table)
    append_results(results)
    console.print("appended to BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
