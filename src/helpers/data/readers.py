"""Read a survey export as it is: raw column names, raw values, value labels.

One reader per format; each returns a `RawTable` or raises `SurveyValidationError` with one line
per problem. Nothing here knows the codebook's levels: `helpers.data` maps names and values.

- .csv: UTF-8 (with or without BOM), comma-separated, first row the header; Qualtrics' two
  extra header rows (question text, then ``{"ImportId": ...}``) are recognised and skipped.
  Gzip, HTML and JSON files saved as .csv are named as such; a value over MAX_CELL_CHARS
  characters or spanning lines (a stray quote) is reported by column and row, never shown.
- .xlsx: the first sheet, first row the header (if the survey is on another sheet, its name is
  given).
- .sav / .zsav (SPSS) and .dta (Stata), through pyreadstat: codes plus their value labels;
  user-defined missing values are read as missing.

Row numbers (the frame's index) count data rows from 1, the header not counted; blank rows keep
their number so that "row N" is spreadsheet row N + 1.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from helpers.data.checks import Problem, SurveyValidationError, clip, format_list
import helpers.datafile as datafile
from helpers.data.filetype import misnamed

FORMATS = {".csv": "CSV", ".xlsx": "Excel", ".sav": "SPSS", ".zsav": "SPSS", ".dta": "Stata"}
HINTS = {
    ".xls": "save it as .xlsx (Excel Workbook)",
    ".xlsm": "save it as .xlsx (Excel Workbook)",
    ".tsv": "save it as comma-separated .csv",
    ".txt": "save it as comma-separated .csv (UTF-8)",
    ".por": "save it as SPSS .sav",
    ".ods": "save it as .xlsx or .csv",
}
# How far down a sheet to look for a header hidden under title rows.
HEADER_SEARCH_ROWS = 10
# No answer of the survey is this long: a longer cell is a stray quote or a pasted document.
MAX_CELL_CHARS = 2000
# Bounds checked before reading (the size: helpers.datafile.MAX_FILE_BYTES): a survey export
# has at most a few hundred columns (Qualtrics' metadata included); a header of a million took
# minutes and most of the memory before any message.
MAX_COLUMNS = 5000
_QUALTRICS_IMPORT_ID = re.compile(r'^\s*\{\s*"ImportId"\s*:')


@dataclass
class RawTable:
    frame: pd.DataFrame  # object dtype; raw column names; index = data row numbers from 1
    value_labels: dict[str, dict[float, str]] = field(default_factory=dict)  # SPSS/Stata
    labelled: bool = False  # values came typed with value labels (SPSS/Stata), not as text
    kind: str = "file"  # 'CSV file', 'Excel sheet', ... for messages


def _fail(file: str, message: str, columns: tuple[str, ...] = (), rows: tuple[int, ...] = ()):
    raise SurveyValidationError(file, [Problem(message, columns, rows)])


def read_raw(path: Path, known: Callable[[str], bool] = lambda name: False) -> RawTable:
    """Read `path` (its name is used in messages). `known(name)` says whether a header cell is a
    codebook column; it lets title rows above the header be recognised."""
    name = path.name
    suffix = path.suffix.lower()
    if not path.exists():
        _fail(name, "file not found")
    if path.is_dir():
        _fail(name, "is a folder, not a survey file: give the path of the export itself")
    if not path.is_file():  # never opened: a named pipe would block
        _fail(name, "is not a regular file (a named pipe or a device): save the export as a file")
    if suffix not in FORMATS:
        hint = HINTS.get(suffix, "use .csv (UTF-8), .xlsx, .sav or .dta")
        what = f"file type {suffix!r}" if suffix else "file without an extension"
        _fail(name, f"unsupported {what}: {hint}")
    try:
        size = path.stat().st_size
    except OSError as err:
        _fail(name, f"cannot be read ({err.strerror or type(err).__name__})")
    if size == 0:
        _fail(name, "the file is empty (0 bytes)")
    limit = datafile.MAX_FILE_BYTES
    if size > limit:
        _fail(
            name,
            f"the file is {size / 2**20:,.0f} MB, over the {limit // 2**20:,} MB this report reads "
            "(MAX_FILE_BYTES): a survey export is far smaller; is this the right file?",
        )
    try:
        if suffix == ".csv":
            return _read_csv(path, known)
        if suffix == ".xlsx":
            return _read_xlsx(path, known)
        return _read_stats(path, suffix)
    except PermissionError:
        _fail(name, "cannot be read (permission denied)")


# --------------------------------------------------------------------------------------------
# Text tables (CSV, Excel)
# --------------------------------------------------------------------------------------------


def _blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and value.strip() == ""


def _header_row(rows: list[list], known: Callable[[str], bool]) -> int | None:
    """Index of the first row that looks like the header (most cells known column names)."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [str(c) for c in row if not _blank(c)]
        hits = sum(1 for c in cells if known(c))
        if cells and hits >= 2 and hits >= len(cells) / 2:
            return i
    return None


def _table(file: str, rows: list[list], known: Callable[[str], bool], where: str) -> pd.DataFrame:
    """A frame from a header row and data rows (lists of cells)."""
    while rows and all(_blank(c) for c in rows[-1]):
        rows.pop()
    if not rows:
        _fail(file, "the file is empty (no header row)")
    _too_wide(file, max(map(len, rows[:HEADER_SEARCH_ROWS])))
    header_at = _header_row(rows, known)
    if header_at:  # found, and not on the first row
        title = next((str(c).strip() for c in rows[0] if not _blank(c)), "")
        title = f" (it starts {title[:40].strip()!r})" if title else ""
        line = "spreadsheet row" if where == "Excel" else "line"
        _fail(
            file,
            f"the header is on {line} {header_at + 1}, not {line} 1: delete the title or blank rows above it{title}",
        )
    header = ["" if _blank(c) else str(c).strip() for c in rows[0]]
    seen: dict[str, list[int]] = {}
    for j, h in enumerate(header):
        if h:
            seen.setdefault(h.casefold(), []).append(j + 1)
    twice = [(header[js[0] - 1], js) for js in seen.values() if len(js) > 1]
    if twice:
        name, js = twice[0]
        _fail(
            file,
            f"the header names column {clip(name)!r} {len(js)} times (columns "
            f"{', '.join(map(str, js))}, counting from 1): keep one of them",
            (name,),
        )
    body = rows[1:]
    width = len(header)
    too_long = [i + 1 for i, r in enumerate(body) if len(r) > width and not all(_blank(c) for c in r[width:])]
    if too_long:
        _fail(
            file,
            f"more cells than the header's {width} columns (an unquoted comma in a value, or a column without a name)",
            rows=tuple(too_long),
        )
    cells = [r if len(r) == width else list(r[:width]) + [None] * (width - len(r)) for r in body]
    index = [i + 1 for i, r in enumerate(cells) if not all(_blank(c) for c in r)]
    cells = [cells[i - 1] for i in index]
    # Unnamed columns: drop if empty (spreadsheet debris), otherwise a problem.
    keep, unnamed = [], []
    for j, h in enumerate(header):
        filled = any(not _blank(r[j]) for r in cells)
        if h:
            keep.append(j)
        elif filled:
            unnamed.append(j + 1)
    if unnamed:
        which = ", ".join(str(j) for j in unnamed)
        _fail(
            file,
            f"column{'s' if len(unnamed) > 1 else ''} {which} (counting from 1) "
            "hold values but have no name in the header",
        )
    names = [header[j] for j in keep]
    if keep != list(range(width)):
        cells = [[r[j] for j in keep] for r in cells]
    frame = pd.DataFrame(cells, columns=names, index=index, dtype=object)
    frame.index.name = "row"
    return frame


def _too_wide(file: str, width: int) -> None:
    if width > MAX_COLUMNS:
        _fail(
            file,
            f"{width:,} columns, over the {MAX_COLUMNS:,} this report reads (MAX_COLUMNS): "
            "a survey export has at most a few hundred; is this the right file?",
        )


def _read_csv(path: Path, known: Callable[[str], bool]) -> RawTable:
    name = path.name
    data = path.read_bytes()
    if data.startswith(b"\x1f\x8b"):
        _fail(name, "is gzip-compressed, not a text file: decompress it (gunzip) and give the .csv inside")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        _fail(name, "the file is UTF-16 text (Excel 'Unicode Text'): save it as 'CSV UTF-8 (comma delimited)'")
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        _fail(name, "the file is empty (only blank lines)")
    really = misnamed(path, ".csv", head=data)
    if really:
        _fail(name, really)
    if b"\x00" in data[:65536]:
        kind = "an Excel workbook" if data.startswith(b"PK") else "a binary file"
        _fail(name, f"not a text file (it looks like {kind} renamed .csv): give it its real extension")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _encoding_problem(name, data)
    _not_a_table(name, text)
    rows, starts = _csv_rows(text)
    _long_cells(name, rows, starts)
    rows = _skip_qualtrics_rows(rows)
    header = next((r for r in rows if r), [])
    if len(header) == 1:
        for sep, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if sep in header[0]:
                _fail(name, f"columns are separated by {label}, not commas: save it as 'CSV UTF-8 (comma delimited)'")
    return RawTable(_table(name, rows, known, "CSV"), kind="CSV file")


def _not_a_table(name: str, text: str) -> None:
    """HTML or JSON saved under .csv."""
    head = text.lstrip("\ufeff \t\r\n")[:2000]
    lowered = head.casefold()
    if lowered.startswith(("<!doctype html", "<html", "<?xml")) or (lowered.startswith("<") and "<html" in lowered):
        _fail(
            name,
            "is a web page (HTML), not a comma-separated table: download the survey export itself "
            "(CSV), not the page that links to it",
        )
    if head.startswith(("{", "[")):
        _fail(name, "is JSON text, not a comma-separated table: export the survey as CSV (or .sav/.xlsx)")


def _csv_rows(text: str) -> tuple[list[list[str]], list[int]]:
    """The records of a CSV text and the line each starts on. Cells of any length are read
    (then reported by _long_cells, not by a csv.Error)."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, min(sys.maxsize, len(text) + 1)))
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        rows, starts, line = [], [], 1
        same: dict[str, str] = {}  # one object per distinct cell text: most answers repeat
        for row in reader:
            rows.append(list(map(same.setdefault, row, row)))
            starts.append(line)
            line = reader.line_num + 1
    finally:
        csv.field_size_limit(limit)
    return rows, starts


def _long_cells(name: str, rows: list[list[str]], starts: list[int]) -> None:
    """A value spanning lines or longer than any answer: say where, never what (it would show
    other respondents' answers)."""
    header = rows[0] if rows else []
    ends = [*starts[1:], None]
    for i, row in enumerate(rows[1:], start=1):
        spans = ends[i] is not None and ends[i] - starts[i] > 1
        if not spans and sum(map(len, row)) <= MAX_CELL_CHARS:
            continue  # the usual row: one line, short cells
        for j, cell in enumerate(row):
            lines = cell.count("\n") + 1
            if lines > 1 or len(cell) > MAX_CELL_CHARS:
                column = header[j].strip() if j < len(header) else f"#{j + 1}"
                span = f", spanning {lines} lines," if lines > 1 else ""
                cause = (
                    'a double quote (") that is never closed, probably: it swallows the lines after it'
                    if lines > 1
                    else "no answer is this long"
                )
                _fail(
                    name,
                    f"a value of {len(cell):,} characters{span} starting on line {starts[i]}: {cause} "
                    "(the value is not shown)",
                    (column,),
                    (i,),
                )


def _skip_qualtrics_rows(rows: list[list[str]]) -> list[list[str]]:
    """Qualtrics exports put the question text and an ImportId row under the header."""
    if len(rows) >= 3:
        ids = [c for c in rows[2] if c.strip()]
        if ids and sum(bool(_QUALTRICS_IMPORT_ID.match(c)) for c in ids) >= len(ids) / 2:
            return [rows[0], *rows[3:]]
    return rows


def _encoding_problem(name: str, data: bytes):
    """Name the columns and rows holding text that is not UTF-8, then fail."""
    text = data.decode("latin-1")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0] if rows else []
    problems = []

    def bad(cell: str) -> bool:
        try:
            cell.encode("latin-1").decode("utf-8")
            return False
        except UnicodeDecodeError:
            return True

    bad_header = [h for h in header if bad(h)]
    if bad_header:
        problems.append(Problem("column name is not UTF-8 text: save the file as 'CSV UTF-8'", tuple(bad_header)))
    by_column: dict[str, list[tuple[int, str]]] = {}
    for i, row in enumerate(rows[1:], start=1):
        for j, cell in enumerate(row):
            if bad(cell):
                column = header[j] if j < len(header) else f"#{j + 1}"
                by_column.setdefault(column, []).append((i, cell))
    for column, hits in by_column.items():
        shown = (cell.encode("latin-1").decode("cp1252", errors="replace").strip() for _, cell in hits)
        examples = format_list(list(dict.fromkeys(shown)))
        problems.append(
            Problem(
                f"text is not UTF-8 (it reads as Latin-1/Windows-1252: {examples}): save the file as "
                "'CSV UTF-8 (comma delimited)'",
                (column,),
                tuple(i for i, _ in hits),
            )
        )
    if not problems:
        problems.append(Problem("not UTF-8 text: save the file as 'CSV UTF-8 (comma delimited)'"))
    raise SurveyValidationError(name, problems)


def _damaged(what: str, err: Exception) -> str:
    # The parser's own message names the full path or quotes the content: the type alone is enough.
    return f"cannot be read as {what}: it looks damaged or cut short (an incomplete download?) ({type(err).__name__})"


def _read_xlsx(path: Path, known: Callable[[str], bool]) -> RawTable:
    import zipfile

    from openpyxl import load_workbook

    name = path.name
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        _fail(name, misnamed(path, ".xlsx") or _damaged("an Excel .xlsx workbook", err))
    try:
        sheet = wb.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        title = sheet.title
        if _header_row(rows, known) is None:
            for number, other in enumerate(wb.worksheets[1:], start=2):
                head = [list(r) for r in other.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)]
                if _header_row(head, known) is not None:
                    _fail(
                        name,
                        f"the survey is on sheet {clip(other.title)!r} (sheet {number}), not on the first "
                        f"sheet {clip(title)!r}: move it first, or save that sheet alone as .xlsx or .csv",
                    )
    finally:
        wb.close()
    if not rows or all(all(_blank(c) for c in r) for r in rows):
        _fail(name, f"sheet {title!r} (the first sheet) is empty")
    frame = _table(name, rows, known, "Excel")
    return RawTable(frame, kind="Excel sheet")


# --------------------------------------------------------------------------------------------
# SPSS and Stata
# --------------------------------------------------------------------------------------------


def _read_stats(path: Path, suffix: str) -> RawTable:
    import pyreadstat

    name = path.name
    what = "an SPSS .sav" if suffix in (".sav", ".zsav") else "a Stata .dta"
    reader = pyreadstat.read_sav if suffix in (".sav", ".zsav") else pyreadstat.read_dta
    try:
        _, head = reader(str(path), metadataonly=True)
    except Exception as err:
        _fail(name, misnamed(path, suffix) or _damaged(f"{what} file", err))
    _too_wide(name, head.number_columns or 0)
    try:
        df, meta = reader(str(path), apply_value_formats=False, user_missing=False)
    except Exception as err:  # pyreadstat raises its own errors with the full path in them
        _fail(name, misnamed(path, suffix) or _damaged(f"{what} file", err))
    if len(df.columns) == 0:
        _fail(name, "the file has no variables")
    if len(df) == 0:
        _fail(name, "no data rows (the variables are there but no respondents)")
    labels = {}
    for column, mapping in (meta.variable_value_labels or {}).items():
        labels[column] = {float(k): str(v) for k, v in mapping.items() if _is_code(k)}
    frame = df  # numeric columns stay numeric (NaN = missing): an object copy doubles the memory
    frame.index = pd.RangeIndex(1, len(frame) + 1, name="row")
    return RawTable(frame, labels, labelled=True, kind=f"{what} file")


def _is_code(value) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False
