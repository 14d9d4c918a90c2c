"""The language members' content is written in: chosen by its author, else detected.

Detection is py3langid (a naive Bayes model over byte n-grams, shipped inside the
package), restricted to the languages of the EU and its neighbours, with normalized
probabilities. It answers None (unknown) rather than guess: for text shorter than
MIN_LETTERS letters once Markdown, links and code are removed, and when the best
language's probability is below MIN_CONFIDENCE. The model loads once per process, on
the first call (~0.6 s, ~55 MiB resident); a call then costs ~0.05 ms for a one-line
reply and ~0.3 ms for a 1,000-character post (texts are read up to MAX_CHARS).

Nothing is ever translated: the code is stored beside the text so that pages can mark
it up with `lang` and search can analyse it with the right stemmer.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from babel import Locale, UnknownLocaleError

from forum.core import formats
from forum.core.collation import sort_key
from forum.core.errors import Invalid
from forum.core.i18n import _

# The EU's official languages, those of its candidates and neighbours (EFTA, the
# Balkans, the East, the southern Mediterranean), and the regional languages
# members write in. Codes are ISO 639-1, as the model labels them.
LANGUAGES = (
    # EU
    "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "it",
    "lt", "lv", "mt", "nl", "pl", "pt", "ro", "sk", "sl", "sv",
    # regional languages within the EU
    "ca", "eu", "gl", "lb", "cy",
    # neighbours and candidates
    "is", "no", "sq", "sr", "bs", "mk", "tr", "uk", "ru", "be", "ka", "hy", "az", "ar", "he",
)  # fmt: skip
# Below this many letters a text answers None: "ok", "merci !" or a lone link say too
# little about their language.
MIN_LETTERS = 20
# The best language's probability (normalized over LANGUAGES) must reach this.
MIN_CONFIDENCE = 0.80
# Only the beginning of a long text is read: enough to tell, and the cost stays flat.
MAX_CHARS = 2_000

# An ISO 639 code (two letters, or three for a language without them), optionally with
# a region or script subtag: "fr", "pt-BR", "zh-Hant".
_PRIMARY_RE = re.compile(r"^[A-Za-z]{2,3}$")
_SUBTAG_RE = re.compile(r"^[A-Za-z0-9]{2,4}$")

_identifier: Any = None
_lock = threading.Lock()

_NOISE = (
    re.compile(r"```.*?(?:```|$)", re.DOTALL),  # fenced code
    re.compile(r"`[^`\n]*`"),  # inline code
    re.compile(r"!?\[([^\]]*)\]\([^)]*\)"),  # [text](url): keep the text (group 1)
    re.compile(r"<[^>\s]+>"),  # <https://...> autolinks and stray tags
    re.compile(r"(?:https?|ftp)://\S+|www\.\S+|mailto:\S+|\S+@\S+\.\w+"),  # urls, emails
    re.compile(r"(?<![\w@])@[\w.-]+"),  # @mentions
    re.compile(r"[#*_>~|=+-]{1,}"),  # Markdown punctuation
)
_SPACES = re.compile(r"\s+")


def _get_identifier() -> Any:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(LANGUAGES))
                # py3langid 0.4 keeps the whole model (all 97 languages) to restrict it
                # again later; this process never does, and dropping it saves ~27 MiB of
                # the ~80 MiB the model holds.
                if hasattr(identifier, "_full_model"):
                    identifier._full_model = (
                        identifier.nb_ptc,
                        identifier.nb_pc,
                        identifier.nb_classes,
                    )
                _identifier = identifier
    return _identifier


def clean(text: str) -> str:
    """The text without what says nothing of its language: code, links, addresses,
    mentions and Markdown punctuation (a link's own words are kept)."""
    text = text[: MAX_CHARS * 2]
    for pattern in _NOISE:
        text = pattern.sub(lambda m: m.group(1) or " " if m.groups() else " ", text)
    return _SPACES.sub(" ", text).strip()[:MAX_CHARS]


def detect(text: str | None) -> str | None:
    """The language `text` is written in (an ISO 639-1 code from LANGUAGES), or None
    when it is too short or the model is not sure enough."""
    return detect_with_confidence(text)[0]


def detect_with_confidence(text: str | None) -> tuple[str | None, float]:
    """detect()'s answer and the best language's probability (0.0 for too short a text)."""
    cleaned = clean(text or "")
    if sum(ch.isalpha() for ch in cleaned) < MIN_LETTERS:
        return None, 0.0
    language, confidence = _get_identifier().classify(cleaned)
    if confidence < MIN_CONFIDENCE:
        return None, float(confidence)
    return str(language), float(confidence)


def normalize(code: str | None) -> str | None:
    """A language tag as stored: "fr", "pt-BR", "zh-Hant"; None for empty or not a tag.

    Accepts "FR", "pt_br", "en-gb" and similar spellings, as feeds and imports declare
    them; the result fits the 8-character columns.
    """
    value = (code or "").strip().replace("_", "-")
    primary, _sep, sub = value.partition("-")
    if not _PRIMARY_RE.match(primary) or (sub and not _SUBTAG_RE.match(sub)):
        return None
    if len(sub) == 2:
        sub = sub.upper()  # a region
    elif len(sub) == 4:
        sub = sub.title()  # a script
    normalized = primary.lower() + (f"-{sub}" if sub else "")
    return normalized if len(normalized) <= 8 else None


def declared(code: str | None) -> str | None:
    """A language a feed or an import declares, normalized; None when it is no language
    Babel knows ("English", "xx"), so that detection decides instead."""
    normalized = normalize(code)
    return normalized if normalized and is_valid(normalized) else None


def is_valid(code: str) -> bool:
    """Whether `code` is a normalized language code that Babel (CLDR) knows."""
    if normalize(code) != code:
        return False
    try:
        Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


def chosen(code: str | None, error: type[Invalid] = Invalid, field: str = "language") -> str | None:
    """The language a member chose (None: "detect from the text"), normalized; raises
    `error` (a domain's Invalid) naming `field` for anything but a language code."""
    value = (code or "").strip()
    if not value:
        return None
    normalized = declared(value)
    if normalized is None:
        raise error(
            _(
                "%(code)s is not a language code: use an ISO 639-1 code such as fr or de, "
                "or leave it empty to have the language detected.",
                code=repr(value[:20]),
            ),
            field,
        )
    return normalized


def options() -> list[tuple[str, str]]:
    """A form's choices: "Detect from the text" first, then LANGUAGES by their names in
    the reader's language."""
    named = sorted(((code, formats.language_name(code)) for code in LANGUAGES), key=_by_label)
    return [("", _("Detect from the text")), *named]


def _by_label(option: tuple[str, str]) -> bytes:
    return sort_key(option[1])


def primary(code: str | None) -> str | None:
    """The language without its region: "pt-BR" -> "pt"."""
    return code.partition("-")[0] if code else None


def resolve(chosen: str | None, *texts: str | None) -> str | None:
    """The language to store: the one declared (when Babel knows it), else the one
    detected from `texts`."""
    return declared(chosen) or detect("\n\n".join(t for t in texts if t))
