"""The floors hold: no import cycle among the modules of forum/ and search/, and the
architecture page names the import contracts that `make lint` checks.

Imports inside functions count (grimp, import-linter's graph, reads every import
statement). The contracts themselves run in `make lint` (import-linter).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import grimp


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_no_import_cycle_among_the_modules() -> None:
    graph = grimp.build_graph("forum", "search", cache_dir=None)  # the cache can go stale
    assert import_cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle_through_an_import_inside_a_function() -> None:
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.low", "pkg.high"):
        graph.add_module(name)
    graph.add_import(importer="pkg.high", imported="pkg.low")
    graph.add_import(importer="pkg.low", imported="pkg.high")
    assert import_cycles(graph) == [["pkg.high", "pkg.low"]]


def test_the_architecture_page_names_the_contracts_of_pyproject() -> None:
    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    contracts = {c["id"] for c in config["tool"]["importlinter"]["contracts"]}
    page = (root / "docs" / "architecture.md").read_text()
    table = page[page.index("| contract id |") :].split("\n\n", 1)[0]
    listed = set(re.findall(r"^\| `([a-z-]+)` \|", table, flags=re.M))
    assert listed == contracts
    assert all("ignore_imports" not in c for c in config["tool"]["importlinter"]["contracts"])


MAX_MODULE_LINES = 500


def test_no_module_of_the_forum_or_the_engines_is_over_500_lines() -> None:
    """A module does one job; past about 400 lines it usually does two."""
    root = Path(__file__).resolve().parents[1]
    long = {
        str(path.relative_to(root)): n
        for folder in ("forum", "search")
        for path in (root / folder).rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_the_module_map_lists_every_module() -> None:
    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "architecture.md").read_text()
    section = page[page.index("## Module map") :].split("\n## ", 1)[0]
    listed = set()
    package = ""
    for line in section.splitlines():
        if found := re.match(r"\*\*`([\w/]+)/`\*\*", line):
            package = found.group(1)
        elif found := re.match(r"- `(\w+\.py)`", line):
            listed.add(f"{package}/{found.group(1)}")
    modules = {
        str(path.relative_to(root))
        for folder in ("forum", "search")
        for path in (root / folder).rglob("*.py")
        if "static" not in path.parts
        and not (path.name == "__init__.py" and len(list(path.parent.glob("*.py"))) > 1)
    }
    assert sorted(modules - listed) == []
