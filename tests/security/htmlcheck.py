"""Parse rendered output and list what could run script: the assertion helper of the corpora."""

from __future__ import annotations

from html.parser import HTMLParser

DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster"}


class _Finder(HTMLParser):
    def __init__(self, allowed_script_srcs: set[str] | frozenset[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.allowed = allowed_script_srcs
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src") not in self.allowed:
            self.problems.append(f"<script> {values}")
        if tag in ("iframe", "object", "embed", "base", "style", "meta") and tag != "meta":
            self.problems.append(f"<{tag}>")
        if tag == "meta" and "refresh" in (values.get("http-equiv") or "").lower():
            self.problems.append("<meta refresh>")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name.lower() in URL_ATTRIBUTES and value:
                cleaned = "".join(value.split()).lower()
                if cleaned.startswith(DANGEROUS_SCHEMES):
                    self.problems.append(f"<{tag} {name}={value[:40]}>")
            if name.lower() == "style":
                self.problems.append(f"<{tag} style=...>")


# The static scripts our pages load: the vendored htmx and tom-select, and our picker.
OUR_SCRIPTS = frozenset(
    {"/static/vendor/htmx.min.js", "/static/vendor/tom-select.popular.min.js",
     "/static/js/picker.js"}
)  # fmt: skip


def script_risks(html: str, *, allowed_script_srcs: set[str] | None = None) -> list[str]:
    """Everything in `html` that could run script: script tags (other than our own
    vendored files), on* attributes, javascript:/vbscript:/data: URLs, inline styles."""
    finder = _Finder(allowed_script_srcs or OUR_SCRIPTS)
    finder.feed(html)
    finder.close()
    return finder.problems
