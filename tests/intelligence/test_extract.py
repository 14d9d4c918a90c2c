"""Text extraction in a limited child process: formats, refusals, and the limits themselves.

All files are built here; no binary fixtures.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfWriter

from forum.core import extract as ex
from forum.core import uploads
from forum.core.extract import ExtractResult, extract_in_subprocess

SENTENCE = "Offshore wind clusters in Estonia expect growth"


# -- builders -----------------------------------------------------------------------


def make_pdf(content: bytes) -> bytes:
    """A minimal valid one-page PDF whose page draws `content`, with a correct xref."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def text_pdf(sentence: str = SENTENCE) -> bytes:
    return make_pdf(b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % sentence.encode("ascii"))


def make_zip(members: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
P = 'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
S = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def docx(body: str) -> bytes:
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<w:document {W}><w:body>{body}</w:body></w:document>"
    )
    return make_zip(
        {
            "[Content_Types].xml": "<Types/>",
            "word/document.xml": document,
            "word/header1.xml": f"<w:hdr {W}><w:p><w:r><w:t>Header line</w:t></w:r></w:p></w:hdr>",
            "word/footer1.xml": f"<w:ftr {W}><w:p><w:r><w:t>Footer line</w:t></w:r></w:p></w:ftr>",
        }
    )


def paragraph(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def slide(text: str) -> str:
    return (
        f"<p:sld {P} {A}><p:cSld><p:spTree><p:sp><p:txBody>"
        f"<a:p><a:r><a:t>{text}</a:t></a:r></a:p>"
        f"</p:txBody></p:sp></p:spTree></p:cSld></p:sld>"
    )


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- formats ------------------------------------------------------------------------


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    result = extract_in_subprocess(write(tmp_path, "a.pdf", text_pdf()), ex.PDF)
    assert result == ExtractResult(SENTENCE, None)


def test_pdf_without_text_reports_no_text(tmp_path: Path) -> None:
    drawing = make_pdf(b"0 0 m 100 100 l S")
    result = extract_in_subprocess(write(tmp_path, "scan.pdf", drawing), ex.PDF)
    assert result == ExtractResult("", "no text found (scanned?)")


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\nthis is not a pdf",
        text_pdf()[:150],
        b"%PDF-1.7\n" + bytes(range(256)) * 40,
    ],
    ids=["garbage", "truncated", "binary"],
)
def test_corrupt_pdf_is_an_error_not_an_exception(tmp_path: Path, data: bytes) -> None:
    result = extract_in_subprocess(write(tmp_path, "bad.pdf", data), ex.PDF)
    assert result.text == ""
    assert result.error


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(text_pdf()))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    result = extract_in_subprocess(write(tmp_path, "locked.pdf", buffer.getvalue()), ex.PDF)
    assert result == ExtractResult("", "the PDF is encrypted")


def test_pdf_encrypted_with_empty_user_password_is_read(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(text_pdf()))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    result = extract_in_subprocess(write(tmp_path, "perm.pdf", buffer.getvalue()), ex.PDF)
    assert result == ExtractResult(SENTENCE, None)


def test_docx_document_headers_and_footers(tmp_path: Path) -> None:
    body = (
        paragraph(SENTENCE) + "<w:p><w:r><w:t>Second</w:t><w:tab/><w:t>paragraph</w:t></w:r></w:p>"
    )
    result = extract_in_subprocess(write(tmp_path, "a.docx", docx(body)), ex.DOCX)
    assert result == ExtractResult(
        f"Header line\n\n{SENTENCE}\nSecond paragraph\n\nFooter line", None
    )


def test_pptx_slides_in_numeric_order(tmp_path: Path) -> None:
    data = make_zip(
        {
            "ppt/slides/slide10.xml": slide("Tenth slide"),
            "ppt/slides/slide2.xml": slide("Second slide"),
            "ppt/slides/slide1.xml": slide(SENTENCE),
            "ppt/slides/_rels/slide1.xml.rels": "<Relationships/>",
        }
    )
    result = extract_in_subprocess(write(tmp_path, "a.pptx", data), ex.PPTX)
    assert result == ExtractResult(f"{SENTENCE}\n\nSecond slide\n\nTenth slide", None)


def test_xlsx_shared_and_inline_strings(tmp_path: Path) -> None:
    shared = (
        f'<sst {S} count="2" uniqueCount="2"><si><t>{SENTENCE}</t></si>'
        f"<si><r><t>Rich </t></r><r><t>text</t></r><rPh><t>ignored</t></rPh></si></sst>"
    )
    sheet = (
        f'<worksheet {S}><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
        f'<c r="B1" t="inlineStr"><is><t>Inline cell</t></is></c>'
        f'<c r="C1"><v>42</v></c></row></sheetData></worksheet>'
    )
    data = make_zip({"xl/sharedStrings.xml": shared, "xl/worksheets/sheet1.xml": sheet})
    result = extract_in_subprocess(write(tmp_path, "a.xlsx", data), ex.XLSX)
    assert result == ExtractResult(f"{SENTENCE}\nRich text\n\nInline cell", None)


def test_odt_content(tmp_path: Path) -> None:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        "<office:automatic-styles/><office:body><office:text>"
        "<text:h>Title</text:h>"
        f"<text:p>{SENTENCE.replace(' in ', ' <text:span>in</text:span> ')}</text:p>"
        "<text:p>Two<text:s/>words<text:tab/>and<text:line-break/>break</text:p>"
        "</office:text></office:body></office:document-content>"
    )
    data = make_zip({"mimetype": uploads.ODT_MIMETYPE, "content.xml": content})
    result = extract_in_subprocess(write(tmp_path, "a.odt", data), ex.ODT)
    assert result == ExtractResult(f"Title\n{SENTENCE}\nTwo words and\nbreak", None)


def test_csv_and_txt(tmp_path: Path) -> None:
    csv = f'name,note\nEstonia,"{SENTENCE}"\n'.encode()
    assert extract_in_subprocess(write(tmp_path, "a.csv", csv), ex.CSV) == ExtractResult(
        f'name,note\nEstonia,"{SENTENCE}"', None
    )
    txt = b"\xef\xbb\xbfCaf\xc3\xa9 \x00 and   bad \xff byte\r\n\r\n\r\n\r\nend"
    assert extract_in_subprocess(write(tmp_path, "a.txt", txt), ex.TXT) == ExtractResult(
        "Café and bad \ufffd byte\n\nend", None
    )


def test_empty_text_file_reports_no_text(tmp_path: Path) -> None:
    result = extract_in_subprocess(write(tmp_path, "blank.txt", b" \n\t\n"), ex.TXT)
    assert result == ExtractResult("", "no text found (scanned?)")


def test_text_is_truncated_to_max_chars(tmp_path: Path) -> None:
    result = extract_in_subprocess(write(tmp_path, "a.txt", b"x" * 5000), ex.TXT, max_chars=100)
    assert result == ExtractResult("x" * 100, None)


def test_image_has_no_extractable_text(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(64)
    result = extract_in_subprocess(write(tmp_path, "a.png", png), "image/png")
    assert result.text == ""
    assert result.error == ex.UNSUPPORTED


def test_extracted_types_are_ones_uploads_accepts() -> None:
    assert set(uploads.EXTENSIONS) >= ex.SUPPORTED


# -- refusals -----------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'
        for n in range(1, 10)
    )
    + f"]>\n<w:document {W}><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
)


def test_billion_laughs_docx_is_refused(tmp_path: Path) -> None:
    data = make_zip({"word/document.xml": BILLION_LAUGHS})
    result = extract_in_subprocess(write(tmp_path, "lol.docx", data), ex.DOCX)
    assert result == ExtractResult("", "unsafe XML")


def test_utf16_doctype_is_refused(tmp_path: Path) -> None:
    data = make_zip(
        {
            "word/document.xml": BILLION_LAUGHS.replace(
                '"1.0"?>', '"1.0" encoding="UTF-16"?>', 1
            ).encode("utf-16")
        }
    )
    result = extract_in_subprocess(write(tmp_path, "lol16.docx", data), ex.DOCX)
    assert result == ExtractResult("", "unsafe XML")


def test_external_entity_is_refused(tmp_path: Path) -> None:
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f"<w:document {W}><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>"
    )
    data = make_zip({"word/document.xml": xxe})
    result = extract_in_subprocess(write(tmp_path, "xxe.docx", data), ex.DOCX)
    assert result == ExtractResult("", "unsafe XML")


def test_zip_member_past_the_size_cap_stops_reading(tmp_path: Path) -> None:
    huge = f"<w:document {W}><w:body>" + " " * (ex.MAX_ZIP_READ + 1) + "</w:body></w:document>"
    data = make_zip({"word/document.xml": huge})
    result = extract_in_subprocess(write(tmp_path, "bomb.docx", data), ex.DOCX)
    assert result == ExtractResult("", ex.TOO_BIG)


@pytest.mark.parametrize(
    ("mime", "data"),
    [
        (ex.DOCX, b"PK\x03\x04 not really a zip"),
        (ex.DOCX, make_zip({"word/other.xml": "<x/>"})),
        (ex.DOCX, make_zip({"word/document.xml": "<w:document><unclosed>"})),
        (ex.PPTX, make_zip({"ppt/presentation.xml": "<x/>"})),
        (ex.ODT, make_zip({"mimetype": uploads.ODT_MIMETYPE})),
    ],
    ids=["not-zip", "docx-no-document", "bad-xml", "pptx-no-slides", "odt-no-content"],
)
def test_broken_office_files_are_errors(tmp_path: Path, mime: str, data: bytes) -> None:
    result = extract_in_subprocess(write(tmp_path, "bad.bin", data), mime)
    assert result == ExtractResult("", ex.DAMAGED)


# -- limits -------------------------------------------------------------------------


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv(ex.TEST_HOOKS_ENV, "1")
    return write(tmp_path, "hook.bin", b"anything")


# The limits' own answers prove they fired; the elapsed bound only tells a hang (the parent
# never stopping the child) from a slow start on a loaded machine: not a speed target.
HANG_SLACK = 30.0


def test_test_hooks_are_off_without_the_env(tmp_path: Path) -> None:
    path = write(tmp_path, "hook.bin", b"anything")
    result = extract_in_subprocess(path, ex.TEST_SPIN, wall_seconds=10)
    # With the hooks on, the child would spin until the wall-clock limit and answer
    # "extraction took too long": the answer alone shows the hook was off (no timing,
    # which a loaded machine makes flaky).
    assert result == ExtractResult("", ex.UNSUPPORTED)


def test_cpu_limit_kills_a_spinning_child(hooks: Path) -> None:
    wall = 10.0
    started = time.monotonic()
    result = extract_in_subprocess(hooks, ex.TEST_SPIN, cpu_seconds=1, wall_seconds=wall)
    elapsed = time.monotonic() - started
    assert result == ExtractResult("", "the file needs too much memory or time to read")
    assert elapsed < wall + HANG_SLACK
    print(f"cpu-limit test returned after {elapsed:.2f}s")


def test_wall_clock_limit_stops_a_spinning_child(hooks: Path) -> None:
    wall = 1.5
    started = time.monotonic()
    result = extract_in_subprocess(hooks, ex.TEST_SPIN, cpu_seconds=60, wall_seconds=wall)
    elapsed = time.monotonic() - started
    assert result == ExtractResult("", "extraction took too long")
    assert elapsed < wall + HANG_SLACK


def test_memory_limit_stops_a_memory_hog(hooks: Path) -> None:
    started = time.monotonic()
    result = extract_in_subprocess(hooks, ex.TEST_MEMORY, wall_seconds=30)
    assert result == ExtractResult("", "the file needs too much memory or time to read")
    assert time.monotonic() - started < 35


def test_child_env_carries_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORUM_SECRET_KEY", "do-not-leak")
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:pw@db/forum")
    env = ex._child_env()
    assert set(env) <= {
        "PATH",
        "PYTHONPATH",
        "LANG",
        "LC_ALL",
        "PYTHONIOENCODING",
        "PYTHONDONTWRITEBYTECODE",
        ex.TEST_HOOKS_ENV,
    }
    assert "do-not-leak" not in "".join(env.values())


@pytest.mark.parametrize(
    ("returncode", "stdout", "stderr", "error"),
    [
        (0, b"not json", b"", "extraction failed"),
        (0, b"[1, 2]", b"", "extraction failed"),
        (0, b'{"text": 3, "error": null}', b"", "extraction failed"),
        (1, b"", b"Traceback ...\nMemoryError\n", ex.TOO_COSTLY),
        (-9, b"", b"", ex.TOO_COSTLY),
        (ex.EXIT_MEMORY, b"", b"", ex.TOO_COSTLY),
        (0, b'{"text": "\\u0000 \\n\\t", "error": null}', b"", ex.NO_TEXT),
        (0, b'{"text": "", "error": "the PDF is encrypted"}', b"", ex.ENCRYPTED),
    ],
)
def test_parent_maps_child_outcomes(
    returncode: int, stdout: bytes, stderr: bytes, error: str
) -> None:
    completed = subprocess.CompletedProcess(["x"], returncode, stdout, stderr)
    assert ex._interpret(completed, 100) == ExtractResult("", error)


def test_child_cannot_write_files(tmp_path: Path) -> None:
    # The limits apply in the child only: a probe child with the same preexec limits
    # fails to write even a single byte.
    target = tmp_path / "written"
    code = f"with open({str(target)!r}, 'w') as f: f.write('x' * 10)"
    completed = subprocess.run(
        [sys.executable, "-c", code],
        preexec_fn=ex._limits(5, 512 * 1024 * 1024),
        capture_output=True,
        check=False,
        timeout=30,
    )
    assert completed.returncode != 0
    assert b"File too large" in completed.stderr
    assert not target.exists() or target.stat().st_size == 0
