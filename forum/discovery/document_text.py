"""The text of search documents: the readable text of stored HTML, the names that find a
tag, the parts of a body joined, and the attachments' text (forum.discovery.documents and
documents_threads build documents with them)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

import nh3
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from forum.discussions.models import ThreadAttachment
from forum.intelligence.models import IntelAttachment
from forum.taxonomy.names import country_names

# How much of each attachment's text is indexed (the report itself is ~150,000
# characters; a 25 MB PDF may hold millions).
ATTACHMENT_TEXT_CHARS = 200_000


def tag_text(countries: Iterable[str], sector_names: Iterable[str]) -> str:
    """The country and sector names that find a document (its SearchDoc.keywords)."""
    parts = [name for code in countries for name in country_names(code)]
    parts.extend(sector_names)
    return " · ".join(parts)


# Runs of blanks other than a lone space (which would be replaced by itself, at a cost).
_SPACES = re.compile(r"[ \t]{2,}|\t")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# A start or end tag as html5ever serializes it (attribute values double-quoted).
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s+[^\s\"'>/=]+(?:=\"[^\"]*\")?)*\s*/?>")
# Elements a parser reshapes beyond their tags: raw text (dropped or kept as is), foster
# parenting, the leading newline <pre> drops, foreign content.
_RESHAPED = frozenset(
    ("script", "style", "textarea", "title", "pre", "listing", "table", "xmp", "iframe",
     "noembed", "noframes", "noscript", "plaintext", "template", "svg", "math", "select")
)  # fmt: skip
_START_NAME = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)")
# An `&` that starts no complete character reference.
_LOOSE_AMPERSAND = re.compile(r"&(?!(?:[a-zA-Z][a-zA-Z0-9]*|#[0-9]+|#[xX][0-9a-fA-F]+);)")


def _strip_tags(fragment: str) -> str:
    """What nh3.clean(fragment, tags=set()) answers, for HTML as nh3 writes it: the tags
    go and the text stays. Anything a parser would reshape (a comment or doctype, the
    elements above, a CR, a NUL, a loose `&` or `<`) takes nh3 itself. The fast path of
    a reindex: parsing costs about 40 µs a post, this a fifth of it."""
    if (
        "<!" not in fragment
        and "\r" not in fragment
        and "\x00" not in fragment
        and _RESHAPED.isdisjoint(_START_NAME.findall(fragment.lower()))
        and ("&" not in fragment or not _LOOSE_AMPERSAND.search(fragment))
    ):
        stripped = _TAG.sub("", fragment)
        if "<" not in stripped and ">" not in stripped:
            return stripped
    return nh3.clean(fragment, tags=set())


def html_text(fragment: str) -> str:
    """The readable text of sanitized HTML (a post's rendering), paragraphs kept apart."""
    text = html.unescape(_strip_tags(fragment.replace("</p>", "</p>\n\n")))
    text = _SPACES.sub(" ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


def join_parts(*parts: str | None) -> str:
    return "\n\n".join(part.strip() for part in parts if part and part.strip())


def attachment_texts(
    db: Session,
    model: type[IntelAttachment] | type[ThreadAttachment],
    owner: InstrumentedAttribute[int],
    owner_ids: Sequence[int],
) -> dict[int, list[str]]:
    """Each owner's files as its document carries them: every name, and the extracted text
    (ATTACHMENT_TEXT_CHARS at most each), in the order they were attached."""
    texts: dict[int, list[str]] = {}
    if not owner_ids:
        return texts
    rows = db.execute(
        select(owner, model.original_name, model.extracted_text)
        .where(owner.in_(owner_ids))
        .order_by(model.id)
    )
    for owner_id, name, text in rows:
        texts.setdefault(owner_id, []).append(name)
        if text:
            texts[owner_id].append(text[:ATTACHMENT_TEXT_CHARS])
    return texts
