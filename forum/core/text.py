"""User-written text: Markdown rendered once on write, sanitized with an allow-list;
control characters checked at the edge and removed from single-line fields.

markdown-it-py's CommonMark with raw HTML off, then nh3 (ammonia) with a small
allow-list: no images, no scripts or styles, http(s)/mailto links only, every link
`rel="nofollow ugc noopener"`. @mentions become links to member pages.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping

import nh3
from markdown_it import MarkdownIt

from forum.core.i18n import _

MAX_BODY = 50_000
MAX_TITLE = 200

_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable("table")
    .enable("strikethrough")
)

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# A mention is @ followed by a member's handle: letters, digits, dots, dashes, underscores.
MENTION_RE = re.compile(r"(?<![\w@/])@([A-Za-z0-9][A-Za-z0-9._-]{1,40}[A-Za-z0-9])")


# The bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069):
# "invoice \u202egnp.exe" displays as "invoice exe.png". The marks (U+200E, U+200F, U+061C)
# only nudge neutral characters and stay, as do right-to-left scripts themselves.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# In English; `control_characters_message()` says it in the reader's language.
CONTROL_CHARACTERS_MESSAGE = (
    "Remove the control characters (such as NUL or ESC): they cannot be stored or mailed."
)


def control_characters_message() -> str:
    """CONTROL_CHARACTERS_MESSAGE in the language of whoever is refused."""
    return _("Remove the control characters (such as NUL or ESC): they cannot be stored or mailed.")


_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_REMOVED = {ord(ch): None for ch in BIDI_CONTROLS}
_REMOVED.update({n: None for n in (*range(0x20), *range(0x7F, 0xA0))})


def has_control_characters(text: str) -> bool:
    """Whether `text` holds a C0 or C1 control character other than tab, line feed and
    carriage return, or a lone surrogate: text that may not reach the database, a job or
    a mail. Edges that queue work refuse it with CONTROL_CHARACTERS_MESSAGE."""
    return _CONTROL_RE.search(text) is not None


def clean_line(text: str) -> str:
    """A single-line field as stored and shown everywhere (pages, feeds, iCal, mail).

    Runs of whitespace (line breaks, tabs) become one space and the ends are trimmed;
    control characters and the bidirectional embedding, override and isolate controls
    are removed. Everything else is kept as typed: right-to-left text, the
    left-to-right and right-to-left marks, joiners.
    """
    return " ".join(remove_controls(" ".join(text.split())).split())


def remove_controls(text: str) -> str:
    """`text` without control characters (line breaks included), lone surrogates and the
    bidirectional controls; for names that are not even split into words (file names)."""
    return _SURROGATE_RE.sub("", text.translate(_REMOVED))


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )


def render_markdown(source: str, *, mentions: Mapping[str, str] | None = None) -> str:
    """Safe HTML for `source`. `mentions` maps handle → URL for the @handles to link."""
    html = _md.render(source)
    if mentions:
        html = _link_mentions(html, mentions)
    return sanitize(html)


def _link_mentions(html: str, mentions: Mapping[str, str]) -> str:
    # Only in text outside tags and outside <code>/<pre>/<a>: split on tags.
    out: list[str] = []
    skip = 0
    for part in re.split(r"(<[^>]+>)", html):
        if part.startswith("<"):
            name = re.match(r"</?(\w+)", part)
            if name and name.group(1) in ("code", "pre", "a"):
                skip += -1 if part.startswith("</") else 1
            out.append(part)
        elif skip:
            out.append(part)
        else:
            out.append(MENTION_RE.sub(_replacer(mentions), part))
    return "".join(out)


def _replacer(mentions: Mapping[str, str]) -> Callable[[re.Match[str]], str]:
    lowered = {k.lower(): v for k, v in mentions.items()}

    def replace(match: re.Match[str]) -> str:
        url = lowered.get(match.group(1).lower())
        if url is None:
            return match.group(0)
        return f'<a class="mention" href="{url}">@{match.group(1)}</a>'

    return replace


def mentioned_handles(source: str) -> set[str]:
    """The @handles in a Markdown source (lower case), outside code spans and blocks."""
    without_code = re.sub(r"```.*?```|`[^`]*`", " ", source, flags=re.S)
    return {m.lower() for m in MENTION_RE.findall(without_code)}


def plain_excerpt(source: str, length: int = 240) -> str:
    """A one-line plain-text excerpt of Markdown, for lists, feeds and emails."""
    text = html.unescape(nh3.clean(_md.render(source), tags=set()))
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + "…"


SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SLUG_MAX = 60


def slug_problem(slug: str, *, example: str) -> str | None:
    """What is wrong with `slug` (already stripped) as a lower-case, hyphenated slug, in a
    sentence that shows `example`; None when it is a good one."""
    if not slug:
        return _("Enter a slug, such as %(example)s.", example=example)
    if len(slug) > SLUG_MAX:
        return _("Use at most %(max)s characters for the slug.", max=SLUG_MAX)
    if not SLUG_RE.match(slug):
        return _(
            "Use lower-case letters and digits, with single hyphens between words "
            "(such as %(example)s).",
            example=example,
        )
    return None
