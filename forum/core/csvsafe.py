"""CSV files as served to members: formula cells neutralised, the stored file untouched.

A spreadsheet evaluates a cell that starts with `=`, `+`, `-` or `@` (and, after it trims
them, a tab or carriage return) as a formula: `=HYPERLINK(...)` or a DDE call runs when a
member opens the download. As OWASP advises for CSV injection, such a cell is prefixed
with a single quote, which makes it text. The file is parsed and rewritten with Python's
`csv` module row by row, so a large file streams; its delimiter (`,`, `;`, tab or `|`) is
guessed from its start, a byte-order mark is kept, and every cell is quoted so that no
delimiter inside a cell can start a new one in a reader that splits on another. The
parser runs in its lenient mode with its field limit raised to the file's size: a
malformed file (an unbalanced quote, a huge cell) is read as a spreadsheet would read it,
never refused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = ",;\t|"
SNIFF_CHARS = 64 * 1024
CHUNK_CHARS = 64 * 1024
BOM = "\ufeff"


def neutralise_cell(cell: str) -> str:
    """`cell` with a leading `'` when a spreadsheet would read it as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:  # one column, or nothing to tell: the RFC 4180 comma
        return ","


def neutralised_csv(path: Path) -> Iterator[bytes]:
    """The CSV file at `path` as UTF-8 chunks, every formula cell neutralised.

    Stored CSV files are UTF-8 without NUL bytes (the upload pipeline checks it); an
    undecodable byte would be replaced, not refused.
    """
    size = path.stat().st_size
    if csv.field_size_limit() < size:
        csv.field_size_limit(size)  # one cell may be the whole file; only ever raised
    with path.open(encoding="utf-8", errors="replace", newline="") as source:
        sample = source.read(SNIFF_CHARS)
        source.seek(0)
        out = io.StringIO()
        if sample.startswith(BOM):
            source.read(1)
            out.write(BOM)
        delimiter = _delimiter(sample.removeprefix(BOM))
        writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        for row in csv.reader(source, delimiter=delimiter, strict=False):
            writer.writerow([neutralise_cell(cell) for cell in row])
            if out.tell() >= CHUNK_CHARS:
                yield out.getvalue().encode()
                out.seek(0)
                out.truncate()
        if out.tell():
            yield out.getvalue().encode()
