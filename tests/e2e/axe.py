"""Run axe-core (vendored in tests/assets/axe.min.js) against a page in Chromium."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypedDict

from playwright.sync_api import Browser, BrowserContext, Page

AXE_JS = Path(__file__).resolve().parents[1] / "assets" / "axe.min.js"
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")
AXE_RUN = """tags => axe.run(document, {runOnly: {type: "tag", values: tags}})"""


class AxeViolation(TypedDict):
    id: str
    impact: str | None
    help: str
    nodes: list[Any]


def axe_violations(
    browser: Browser,
    url: str,
    *,
    impacts: Iterable[str] = ("serious", "critical"),
    signed_in_from: BrowserContext | None = None,
    viewport: dict[str, int] | None = None,
) -> list[AxeViolation]:
    """The axe violations of `url` whose impact is one of `impacts`, summarised.

    A separate context with `bypass_csp=True`, used only so that axe can be injected:
    the CSP itself is tested with the normal `page` fixture. `signed_in_from` copies a
    journey's cookies, to scan pages only a signed-in member sees. `viewport` (width and
    height) scans the page as a small screen shows it.
    """
    state = signed_in_from.storage_state() if signed_in_from is not None else None
    context = browser.new_context(
        bypass_csp=True,
        storage_state=state,
        viewport=viewport,  # type: ignore[arg-type]
    )
    try:
        page = context.new_page()
        page.goto(url, wait_until="load")
        return axe_violations_here(page, impacts=impacts)
    finally:
        context.close()


def axe_violations_here(
    page: Page, *, impacts: Iterable[str] = ("serious", "critical")
) -> list[AxeViolation]:
    """The axe violations of `page` as it is now (a list opened, a chip chosen).

    The page's context must have been made with `bypass_csp=True`, for axe to be injected.
    """
    wanted = set(impacts)
    page.add_script_tag(path=str(AXE_JS))
    results: dict[str, Any] = page.evaluate(AXE_RUN, list(AXE_TAGS))
    return [
        AxeViolation(
            id=v["id"],
            impact=v.get("impact"),
            help=v.get("help", ""),
            nodes=[node.get("target") for node in v.get("nodes", [])],
        )
        for v in results["violations"]
        if v.get("impact") in wanted
    ]


def format_violations(violations: Iterable[AxeViolation]) -> str:
    """One line per rule, then one indented line per offending node (its selector)."""
    lines: list[str] = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {target}" for target in v["nodes"])
    return "\n".join(lines) or "no violations"
