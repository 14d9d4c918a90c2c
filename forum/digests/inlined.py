"""The digest's HTML template with its stylesheet inlined once, rather than in every
message: the same bytes as css-inline on each rendered digest, at the price of a template.

css-inline parses a page and writes it again (html5ever's serializer), so the old way's
bytes are those of the parsed page: a value's `'` and `"` written as they are, `&nbsp;`
for a no-break space, `\\r\\n` as `\\n`, and so on. Here the template's Jinja constructs
are set aside, the skeleton inlined (the stylesheet's selectors name classes and
elements the skeleton holds: what each element gets does not depend on the values), the
constructs put back, and each value written through a filter that writes it as the
parser and serializer would have: in a text, in an attribute, or in `<title>`.

A trusted value (Markup: a translation) holding a tag cannot be written so without
parsing it: the render raises `NotPlain` and the caller inlines that digest the old way.
"""

from __future__ import annotations

import html
import re
from functools import cache
from typing import Any

import css_inline
from jinja2 import Environment, Template
from markupsafe import Markup

TEMPLATE = "email/digest/body.html"

# The template's constructs: a whole `{% trans %}` block (its text is a catalog's key, left
# as written), an expression, a statement, a comment.
_CONSTRUCT = re.compile(
    r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S
)
_SLOT = re.compile(r"jinjaslot(\d+)x")


class NotPlain(Exception):
    """A trusted value holds markup: only parsing the page writes it as css-inline would."""


@cache
def inliner() -> css_inline.CSSInliner:
    # Nothing is fetched: the stylesheet is the template's own <style> block.
    return css_inline.CSSInliner(load_remote_stylesheets=False)


def _as_parsed(value: Any, *, in_attribute: bool, in_title: bool) -> str:
    """What the parser reads from `value` as Jinja writes it (escaped, or as it is when
    trusted): the text node's (or attribute's) content."""
    if hasattr(value, "__html__"):
        markup = str(value.__html__())
        # Tags would be parsed; in an attribute, character references follow other rules.
        if "<" in markup or (in_attribute and "&" in markup):
            raise NotPlain(markup[:80])
        text = html.unescape(markup)
    else:
        text = str(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd" if in_attribute or in_title else "")
    return text


def _text(value: Any) -> Markup:
    """A value in a text, as html5ever's serializer writes a text."""
    text = _as_parsed(value, in_attribute=False, in_title=False)
    return Markup(_escape_text(text))  # noqa: S704 (escaped just now)


def _title(value: Any) -> Markup:
    text = _as_parsed(value, in_attribute=False, in_title=True)
    return Markup(_escape_text(text))  # noqa: S704 (escaped just now)


def _attribute(value: Any) -> Markup:
    """A value in an attribute (double-quoted), as html5ever's serializer writes it."""
    text = _escape_shared(_as_parsed(value, in_attribute=True, in_title=False))
    if '"' in text:
        text = text.replace('"', "&quot;")
    return Markup(text)  # noqa: S704 (escaped just now)


def _escape_shared(text: str) -> str:
    """What html5ever escapes in text and in attributes alike: `&` and no-break spaces."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "\xa0" in text:
        text = text.replace("\xa0", "&nbsp;")
    return text


def _escape_text(text: str) -> str:
    text = _escape_shared(text)
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _where(page: str, at: int) -> str:
    """ "attribute", "title" or "text": where position `at` of the serialized page is."""
    if page.rfind("<", 0, at) > page.rfind(">", 0, at):
        return "attribute"
    if page.rfind("<title", 0, at) > page.rfind("</title>", 0, at):
        return "title"
    return "text"


_FILTERS = {"attribute": "h5_attribute", "title": "h5_title", "text": "h5_text"}


def _restored(construct: str, where: str) -> str:
    name = _FILTERS[where]
    if construct.startswith("{{"):
        inner = construct[2:-2]
        left = "-" if inner.startswith("-") else ""
        right = "-" if inner.endswith("-") else ""
        return f"{{{{{left} ({inner.strip('-').strip()})|{name} {right}}}}}"
    if construct.startswith("{%") and re.match(r"\{%-?\s*trans\b", construct):
        if where != "text":
            raise ValueError(f"a trans block in an {where}: {construct[:60]}")
        return f"{{% filter {name} %}}{construct}{{% endfilter %}}"
    return construct


@cache
def _source(env: Environment) -> str:
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, TEMPLATE)
    if not env.keep_trailing_newline:  # as Jinja reads the template: its last newline goes
        source = re.sub(r"\r?\n\Z", "", source, count=1)
    constructs: list[str] = []

    def hide(match: re.Match[str]) -> str:
        constructs.append(match.group(0))
        return f"jinjaslot{len(constructs) - 1}x"

    page = inliner().inline(_CONSTRUCT.sub(hide, source))
    return _SLOT.sub(
        lambda m: _restored(constructs[int(m.group(1))], _where(page, m.start())), page
    )


@cache
def template(env: Environment) -> Template:
    """The digest's HTML template, its stylesheet inlined (`env` is the digests' own)."""
    env.filters.update(h5_text=_text, h5_title=_title, h5_attribute=_attribute)
    return env.from_string(_source(env))
