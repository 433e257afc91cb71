"""What a data file really is, from its first bytes, whatever its name says.

The readers ask this when a file does not read as its extension promises, so the message can
say "a PDF document named .csv" instead of a parser's complaint about row 1."""

from __future__ import annotations

from pathlib import Path

# (leading bytes, what the file is, the extension it should have or None)
_SIGNATURES: tuple[tuple[bytes, str, str | None], ...] = (
    (b"%PDF", "a PDF document", None),
    (b"\x1f\x8b", "a gzip-compressed file", None),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-format Excel workbook (.xls) or other Office file", ".xlsx"),
    (b"$FL2", "an SPSS data file", ".sav"),
    (b"$FL3", "a compressed SPSS data file", ".zsav"),
    (b"<stata_dta>", "a Stata data file", ".dta"),
    (b"PAR1", "a Parquet file", None),
    (b"{\\rtf", "an RTF document", None),
    (b"\x89PNG", "a PNG image", None),
    (b"\xff\xd8\xff", "a JPEG image", None),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", None),
    (b"Rar!", "a RAR archive", None),
)


_ARCHIVES = ("a gzip-compressed file", "a ZIP archive", "a 7-Zip archive", "a RAR archive")
TEXT = "a text file"
TEXT_MARKUP = "an HTML or XML text file"


def _zip_kind(head: bytes) -> tuple[str, str | None]:
    # An .xlsx is a ZIP whose first entries are named [Content_Types].xml, _rels/, xl/...
    if b"xl/" in head or b"[Content_Types].xml" in head:
        return "an Excel workbook", ".xlsx"
    return "a ZIP archive", None


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:  # a multi-byte character cut by the sample's end is still text
        if err.start < len(head) - 3:
            return False
    return True


def sniff(path: Path, size: int = 4096, head: bytes | None = None) -> tuple[str, str | None] | None:
    """(what the file is, the extension it should have) from its first bytes (`head`, when the
    caller has read the file already); None if unknown."""
    if head is None:
        with open(path, "rb") as handle:
            head = handle.read(size)
    head = head[:size]
    for magic, kind, extension in _SIGNATURES:
        if head.startswith(magic):
            return kind, extension
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(head)
    if _looks_like_text(head):
        if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            return TEXT_MARKUP, None
        return TEXT, ".csv"
    return None


def misnamed(path: Path, expected: str, head: bytes | None = None) -> str | None:
    """A clause saying what `path` really is when that is not `expected` (an extension); else None.
    `head`: the file's first bytes, when the caller has read them (the file is not opened again)."""
    found = sniff(path, head=head)
    if found is None:
        return None
    kind, extension = found
    if expected == ".csv" and kind in (TEXT, TEXT_MARKUP):
        return None  # text: the CSV reader itself says what is wrong with it (HTML, JSON, separators)
    if expected == ".xlsx" and kind == "a ZIP archive":
        return None  # a damaged workbook is still a ZIP: the reader says it is damaged
    if extension == expected or (expected in (".sav", ".zsav") and extension in (".sav", ".zsav")):
        return None
    if kind == TEXT:
        advice = "if it is a CSV export, name it .csv"
    elif extension:
        advice = f"give it its real extension ({extension})"
    elif kind in _ARCHIVES:
        advice = "unpack it and give the survey file inside"
    else:
        advice = "export the survey data itself"
    return f"it is {kind}, not a {expected} file: {advice}"
