"""Text extraction from stored uploads, in a child process with CPU, memory and file limits.

The worker calls `extract_in_subprocess(path, mime)`; it never raises for a bad file and
never waits longer than `wall_seconds`. The child (`python -m forum.core.extract
PATH MIME [MAX_CHARS]`) does the parsing and writes one JSON object
`{"text": ..., "error": ...}` on stdout:

- PDF through pypdf, page by page; an encrypted PDF that does not open with the empty
  password is refused ("the PDF is encrypted").
- DOCX, PPTX, XLSX and ODT are ZIP archives of XML; only the members holding text are
  read, at most `MAX_ZIP_READ` bytes decompressed in all, and XML with a DOCTYPE or
  entity declaration is refused ("unsafe XML") so entity expansion cannot blow up.
- CSV and plain text are decoded as UTF-8, undecodable bytes replaced.

The parent maps what can go wrong to a sentence for the uploader: a timeout, a kill by
the CPU limit or a MemoryError, unreadable output, and an empty result
("no text found (scanned?)").
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

# The ZIP-based types, as `forum.core.uploads` recognises them (it imports them from here):
# the child imports nothing of the forum, so that it starts in a twentieth of a second
# instead of half a second spent loading the settings, the database layer and Babel.
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

PDF = "application/pdf"
DOCX = OOXML["word/"]
XLSX = OOXML["xl/"]
PPTX = OOXML["ppt/"]
ODT = ODT_MIMETYPE.decode()
CSV = "text/csv"
TXT = "text/plain"
SUPPORTED = frozenset({PDF, DOCX, XLSX, PPTX, ODT, CSV, TXT})

# Test-only types, honoured by the child only when TEST_HOOKS_ENV is "1".
TEST_HOOKS_ENV = "FORUM_EXTRACT_TEST_HOOKS"
TEST_SPIN = "application/x-forum-test-spin"
TEST_MEMORY = "application/x-forum-test-memory"

MAX_ZIP_READ = 50 * 1024 * 1024
CHUNK = 64 * 1024
MAX_OPEN_FILES = 32
# The child exits with this code when it ran out of memory (a MemoryError it caught).
EXIT_MEMORY = 75

NO_TEXT = "no text found (scanned?)"
TOO_LONG = "extraction took too long"
TOO_COSTLY = "the file needs too much memory or time to read"
FAILED = "extraction failed"
UNSAFE_XML = "unsafe XML"
ENCRYPTED = "the PDF is encrypted"
DAMAGED = "the file is damaged or not in the format its content suggests"
TOO_BIG = "the document is too large to read"
UNSUPPORTED = "text cannot be extracted from this file type"

_PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ExtractResult:
    text: str
    error: str | None


class ExtractError(Exception):
    """A problem with the file, worded for the uploader."""


# -- parent -------------------------------------------------------------------------


def extract_in_subprocess(
    path: Path,
    mime: str,
    *,
    cpu_seconds: int = 20,
    memory_bytes: int = 512 * 1024 * 1024,
    wall_seconds: float = 30.0,
    max_chars: int = 2_000_000,
) -> ExtractResult:
    """The text of the file at `path`, extracted by a limited child process; never raises."""
    command = [
        sys.executable,
        "-m",
        "forum.core.extract",
        str(path),
        mime,
        str(max_chars),
    ]
    try:
        completed = subprocess.run(  # noqa: S603 - our own module, arguments not via a shell
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=wall_seconds,
            env=_child_env(),
            cwd=str(_PROJECT_ROOT),
            preexec_fn=_limits(cpu_seconds, memory_bytes),
            close_fds=True,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return ExtractResult("", TOO_LONG)
    except (OSError, subprocess.SubprocessError):
        return ExtractResult("", FAILED)
    return _interpret(completed, max_chars)


def _child_env() -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "PYTHONPATH": str(_PROJECT_ROOT),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if os.environ.get(TEST_HOOKS_ENV) == "1":
        env[TEST_HOOKS_ENV] = "1"
    return env


def _limits(cpu_seconds: int, memory_bytes: int) -> Callable[[], None]:
    def apply() -> None:
        _set_limit(resource.RLIMIT_CPU, max(1, cpu_seconds), max(1, cpu_seconds) + 1)
        _set_limit(resource.RLIMIT_AS, memory_bytes, memory_bytes)
        _set_limit(resource.RLIMIT_FSIZE, 0, 0)
        _set_limit(resource.RLIMIT_NOFILE, MAX_OPEN_FILES, MAX_OPEN_FILES)
        # Core dumps would be files too; there is nothing to learn from them.
        _set_limit(resource.RLIMIT_CORE, 0, 0)

    return apply


def _set_limit(which: int, soft: int, hard: int) -> None:
    _, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, hard))


def _interpret(completed: subprocess.CompletedProcess[bytes], max_chars: int) -> ExtractResult:
    if completed.returncode < 0 or completed.returncode == EXIT_MEMORY:
        return ExtractResult("", TOO_COSTLY)
    if b"MemoryError" in completed.stderr[-4096:]:
        return ExtractResult("", TOO_COSTLY)
    try:
        payload = json.loads(completed.stdout)
    except ValueError:
        return ExtractResult("", FAILED)
    if not isinstance(payload, dict):
        return ExtractResult("", FAILED)
    text, error = payload.get("text"), payload.get("error")
    if not isinstance(text, str) or not (error is None or isinstance(error, str)):
        return ExtractResult("", FAILED)
    if error:
        return ExtractResult("", error)
    text = normalise(text)[:max_chars]
    if not text:
        return ExtractResult("", NO_TEXT)
    return ExtractResult(text, None)


_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NULs removed, whitespace runs collapsed per line, at most one empty line in a row."""
    lines: list[str] = []
    for raw in text.replace("\x00", "").splitlines():
        line = _SPACES.sub(" ", raw).strip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()


# -- child --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Extract the text of `PATH` of type `MIME`; print `{"text", "error"}` as JSON."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3):
        sys.stderr.write("usage: python -m forum.core.extract PATH MIME [MAX_CHARS]\n")
        return 2
    path, mime = Path(args[0]), args[1]
    max_chars = int(args[2]) if len(args) == 3 else 2_000_000
    try:
        text, error = extract(path, mime, max_chars=max_chars), None
    except MemoryError:
        return EXIT_MEMORY
    except ExtractError as exc:
        text, error = "", str(exc)
    except Exception:
        text, error = "", DAMAGED
    try:
        sys.stdout.write(json.dumps({"text": text, "error": error}))
        sys.stdout.flush()
    except MemoryError:
        return EXIT_MEMORY
    return 0


def extract(path: Path, mime: str, *, max_chars: int) -> str:
    """The raw text of the file; ExtractError for a problem worded for the uploader."""
    if os.environ.get(TEST_HOOKS_ENV) == "1":
        if mime == TEST_SPIN:
            while True:
                pass
        if mime == TEST_MEMORY:
            hog = bytearray(2 * 1024 * 1024 * 1024)
            return str(len(hog))
    if mime == PDF:
        return _pdf(path, max_chars)
    if mime in (CSV, TXT):
        return _plain(path, max_chars)
    if mime in (DOCX, PPTX, XLSX, ODT):
        return _zipped(path, mime, max_chars)
    raise ExtractError(UNSUPPORTED)


def _plain(path: Path, max_chars: int) -> str:
    with path.open("rb") as handle:
        data = handle.read(max_chars * 4)
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff")


def _pdf(path: Path, max_chars: int) -> str:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractError(ENCRYPTED)
        pages = reader.pages
        count = len(pages)
    except (DependencyError, FileNotDecryptedError) as exc:
        raise ExtractError(ENCRYPTED) from exc
    except PdfReadError as exc:
        raise ExtractError(DAMAGED) from exc
    parts: list[str] = []
    size = failed = 0
    for number in range(count):
        try:
            page_text = pages[number].extract_text()
        except (DependencyError, FileNotDecryptedError) as exc:
            raise ExtractError(ENCRYPTED) from exc
        except MemoryError:
            raise
        except Exception:
            failed += 1
            continue
        parts.append(page_text)
        size += len(page_text)
        if size >= max_chars:
            break
    if failed and not any(part.strip() for part in parts):
        raise ExtractError(DAMAGED)
    return "\n\n".join(parts)


# -- ZIP + XML formats --------------------------------------------------------------


def _zipped(path: Path, mime: str, max_chars: int) -> str:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
        raise ExtractError(DAMAGED) from exc
    with archive:
        budget = _Budget(MAX_ZIP_READ)
        names = archive.namelist()
        parts: list[str] = []
        for name, walker in _members(mime, names):
            parts.append(walker(_parse(_read_member(archive, name, budget))))
            if sum(len(part) for part in parts) >= max_chars:
                break
    return "\n\n".join(parts)


Walker = Callable[[ET.Element], str]


def _members(mime: str, names: list[str]) -> Iterable[tuple[str, Walker]]:
    present = set(names)
    if mime == DOCX:
        if "word/document.xml" not in present:
            raise ExtractError(DAMAGED)
        headers = _numbered(names, "word/header")
        footers = _numbered(names, "word/footer")
        for name in [*headers, "word/document.xml", *footers]:
            yield name, _ooxml_text
    elif mime == PPTX:
        slides = _numbered(names, "ppt/slides/slide")
        if not slides:
            raise ExtractError(DAMAGED)
        for name in slides:
            yield name, _ooxml_text
    elif mime == XLSX:
        if "xl/sharedStrings.xml" in present:
            yield "xl/sharedStrings.xml", _xlsx_text
        for name in _numbered(names, "xl/worksheets/sheet"):
            yield name, _xlsx_text
    elif mime == ODT:
        if "content.xml" not in present:
            raise ExtractError(DAMAGED)
        yield "content.xml", _odf_text


def _numbered(names: list[str], prefix: str) -> list[str]:
    """Members `<prefix><n>.xml`, in the order of n."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.xml")
    found = [(int(m.group(1)), name) for name in names if (m := pattern.fullmatch(name))]
    return [name for _, name in sorted(found)]


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise ExtractError(TOO_BIG)


def _read_member(archive: zipfile.ZipFile, name: str, budget: _Budget) -> bytes:
    buffer = io.BytesIO()
    try:
        with archive.open(name) as member:
            while chunk := member.read(CHUNK):
                budget.take(len(chunk))
                buffer.write(chunk)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError) as exc:
        # Damaged data, an unknown compression method, or an encrypted member.
        raise ExtractError(DAMAGED) from exc
    return buffer.getvalue()


_DECLARATIONS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parse(data: bytes) -> ET.Element:
    """The parsed XML; refuses any DTD or entity declaration (entity expansion attacks)."""
    probe = data
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4]:
        # UTF-16 (or worse): look for declarations in the decoded text as well.
        for encoding in ("utf-16", "utf-16-le", "utf-16-be"):
            try:
                probe = data.decode(encoding).encode("utf-8")
            except UnicodeDecodeError:
                continue
            if _DECLARATIONS.search(probe):
                raise ExtractError(UNSAFE_XML)
    if _DECLARATIONS.search(probe) or _DECLARATIONS.search(data):
        raise ExtractError(UNSAFE_XML)
    try:
        return ET.fromstring(data)  # noqa: S314 - declarations refused above
    except ET.ParseError as exc:
        raise ExtractError(DAMAGED) from exc


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _walk(
    root: ET.Element,
    *,
    paragraphs: frozenset[str],
    text_in: frozenset[str] | None,
    marks: dict[str, str],
    skip: frozenset[str] = frozenset(),
) -> str:
    """The text of `root` in document order, without recursion.

    `text_in`: only the text of these elements counts (OOXML's `t`); None means all
    text and tails (ODF). A newline follows each element in `paragraphs`; an element in
    `marks` stands for its string (tabs, breaks); subtrees in `skip` are left out.
    """
    out: list[str] = []
    stack: list[tuple[ET.Element, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        name = _local(node.tag)
        if closing:
            if name in paragraphs:
                out.append("\n")
            if text_in is None and node is not root and node.tail:
                out.append(node.tail)
            continue
        if name in skip:
            if text_in is None and node.tail:
                out.append(node.tail)
            continue
        if name in marks:
            out.append(_mark(node, marks[name]))
        if node.text and (text_in is None or name in text_in):
            out.append(node.text)
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return "".join(out)


def _mark(node: ET.Element, mark: str) -> str:
    if mark != " ":
        return mark
    # ODF <text:s text:c="3"/>: a run of spaces.
    for key, value in node.attrib.items():
        if _local(key) == "c" and value.isdigit():
            return " " * min(int(value), 100)
    return " "


def _ooxml_text(root: ET.Element) -> str:
    return _walk(
        root,
        paragraphs=frozenset({"p"}),
        text_in=frozenset({"t"}),
        marks={"tab": "\t", "br": "\n", "cr": "\n"},
    )


def _xlsx_text(root: ET.Element) -> str:
    # Shared strings (<si>) and inline strings (<is>) hold their text in <t>; phonetic
    # guides (<rPh>) repeat it.
    return _walk(
        root,
        paragraphs=frozenset({"si", "is"}),
        text_in=frozenset({"t"}),
        marks={},
        skip=frozenset({"rPh"}),
    )


def _odf_text(root: ET.Element) -> str:
    body = next((node for node in root.iter() if _local(node.tag) == "body"), None)
    if body is None:
        raise ExtractError(DAMAGED)
    return _walk(
        body,
        paragraphs=frozenset({"p", "h"}),
        text_in=None,
        marks={"tab": "\t", "line-break": "\n", "s": " "},
    )


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    raise SystemExit(main())
