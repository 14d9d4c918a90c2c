"""Reading an answer by email: its text part (or its HTML turned into Markdown), and only
the new text, without the quoted history and the signature.

Two passes: our own table of quote headers, separators and phone signatures
(`tests/inbound/corpus/` holds the shapes it was written for, in six languages), then
`mail-parser-reply` for what the table does not know.
"""

from __future__ import annotations

import re
from email.message import EmailMessage, Message, MIMEPart

from bs4 import BeautifulSoup, Tag
from mailparser_reply import EmailReplyParser
from markdownify import markdownify

LANGUAGES = ["en", "de", "fr", "es", "it", "pl"]

# A line that introduces the quoted message ("On ... wrote:"), per language. Each needs a
# digit on the line too (a date), so that a sentence of the new text is not taken for one.
QUOTE_HEADERS = [
    re.compile(p, re.I)
    for p in (
        r"^On\b.{1,300}\bwrote\s?:$",
        r"^Le\b.{1,300}\ba écrit\s?:$",
        r"^Am\b.{1,300}\bschrieb\b.{0,300}:$",
        r"^El\b.{1,300}\bescribió\s?:$",
        r"^Il\b.{1,300}\bha scritto\s?:$",
        r"^.{1,300}\bnapisał(\(a\)|a)?\s?:$",
        r"^W dniu\b.{1,300}\bpisze\s?:$",
        r"^Wiadomość napisana przez\b.{1,300}:$",
    )
]
# Lines after which everything is the previous message (Outlook quotes without ">").
SEPARATORS = [
    re.compile(p, re.I)
    for p in (
        r"^-{2,}\s*(Original Message|Forwarded message|Ursprüngliche Nachricht|"
        r"Message d'origine|Mensaje original|Messaggio originale|Wiadomość oryginalna|"
        r"Oryginalna wiadomość)\s*-{2,}$",
        r"^_{10,}$",
    )
]
HEADER_FROM = re.compile(r"^\*{0,2}(From|Von|De|Da|Od)\s?:", re.I)
HEADER_SENT = re.compile(
    r"^\*{0,2}(Sent|Date|Gesendet|Datum|Envoyé|Enviado|Inviato|Wysłano|Data)\s?:", re.I
)
# Signatures a phone adds under the new text.
PHONE_SIGNATURES = [
    re.compile(p, re.I)
    for p in (
        r"^Sent from my [\w .'-]{1,40}$",
        r"^Sent from (Mail|Outlook) for [\w ]{1,20}$",
        r"^(Get|Download) Outlook for (iOS|Android)$",
        r"^Inviato da (iPhone|iPad|Android)$",
        r"^Inviato dal mio [\w .'-]{1,40}$",
        r"^Wysłane z (iPhone'a|iPada|mojego [\w .'-]{1,40})$",
        r"^Von meinem [\w .'-]{1,40} gesendet\.?$",
        r"^Gesendet von meinem [\w .'-]{1,40}$",
        r"^Enviado desde mi [\w .'-]{1,40}$",
        r"^Envoyé de mon [\w .'-]{1,40}$",
    )
]
SIGNATURE_DELIMITERS = {"-- ", "--", "—"}
# HTML elements that start the quoted message, as clients mark them.
HTML_QUOTE_SELECTORS = (
    "div.gmail_quote",
    "blockquote.gmail_quote",
    "blockquote[type=cite]",
    "div#divRplyFwdMsg",
    "div#appendonsend",
    "div.moz-cite-prefix",
    "div.OutlookMessageHeader",
    "div.yahoo_quoted",
)


def message_text(message: Message) -> tuple[str, bool]:
    """The message's text as the person wrote it (charset and transfer encoding undone):
    its text/plain part, else its HTML as Markdown. Answers (text, came from HTML)."""
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        return _content(part), False
    part = message.get_body(preferencelist=("html",))
    if part is not None:
        return html_to_markdown(_content(part)), True
    return "", False


def _content(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def html_to_markdown(html: str) -> str:
    """An HTML reply's new part as Markdown: the client's quote element and everything
    after it removed first."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["style", "script", "head", "title"]):
        tag.decompose()
    cut = soup.select_one(", ".join(HTML_QUOTE_SELECTORS))
    if cut is not None:
        _remove_from(cut)
    for hr in soup.find_all("hr"):
        if not hr.find_all_next(string=re.compile(r"\S")):
            hr.decompose()
    text = markdownify(str(soup), heading_style="ATX", bullets="*", strip=["img"])
    return text


def _remove_from(cut: Tag) -> None:
    node: Tag | None = cut
    while node is not None and node.name not in ("body", "[document]"):
        for sibling in list(node.next_siblings):
            sibling.extract()
        node = node.parent
    cut.decompose()


def new_text(text: str) -> str:
    """The new text of a reply: quoted history, quote headers and signatures removed,
    blank lines collapsed."""
    lines = _unwrap_headers(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        bare = line.strip()
        if bare.startswith(">"):
            index += 1
            continue
        if _is_quote_header(bare):
            index += 1
            continue
        if _starts_old_message(lines, index) or _is_signature(line):
            break
        kept.append(line.rstrip())
        index += 1
    cleaned = _collapse(kept)
    if not cleaned:
        return ""
    # The library's pass, for the shapes our table does not know.
    parsed = EmailReplyParser(languages=LANGUAGES).parse_reply(text=cleaned)
    return _collapse(parsed.split("\n")) if parsed and parsed.strip() else cleaned


def _unwrap_headers(lines: list[str]) -> list[str]:
    """Gmail wraps a long quote header ("... <\\nanna@example.org> wrote:"): join it."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if index + 1 < len(lines) and not _is_quote_header(line.strip()):
            joined = (line.rstrip() + " " + lines[index + 1].strip()).strip()
            joined = joined.replace("< ", "<")
            if _is_quote_header(joined):
                out.append(joined)
                index += 2
                continue
        out.append(line)
        index += 1
    return out


def _is_quote_header(line: str) -> bool:
    return bool(re.search(r"\d", line)) and any(p.match(line) for p in QUOTE_HEADERS)


def _starts_old_message(lines: list[str], index: int) -> bool:
    bare = lines[index].strip()
    if any(p.match(bare) for p in SEPARATORS):
        return True
    if HEADER_FROM.match(bare):
        following = [line.strip() for line in lines[index + 1 : index + 4]]
        return any(HEADER_SENT.match(line) for line in following)
    return False


def _is_signature(line: str) -> bool:
    if line.rstrip("\n") in SIGNATURE_DELIMITERS:
        return True
    bare = line.strip()
    return any(p.match(bare) for p in PHONE_SIGNATURES)


def _collapse(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()
