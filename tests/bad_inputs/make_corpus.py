"""Regenerate the corpus of broken survey files (and cases.yaml) in this folder.

    .venv/bin/python tests/bad_inputs/make_corpus.py

Each file is the valid 60-respondent fixture (tests/conftest.py) with ONE thing broken, and must
fail `python -m helpers validate FILE` with one clear line naming the file, the column (where one
applies) and the rows (where rows apply). A CSV of numeric codes comes with its codes file
(`NAME.codes.yaml`: "the codebook's codes are this file's"), as a real one must, so that the one
thing broken is the only problem. Output is byte-for-byte deterministic: fixed zip
timestamps in .xlsx, a fixed creation time in .sav and .dta headers.

Also the writers of "real-shaped" exports that tests/test_data.py uses (alias column names,
numeric codes with value labels, platform metadata columns).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

import pandas as pd
import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: conftest's builders

from conftest import build_valid_frame, labels_only, to_codes  # noqa: E402

from helpers.data.codebook import load_codebook  # noqa: E402

FIXED_TIME = dt.datetime(2025, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def write_csv(frame: pd.DataFrame, path: Path, sep: str = ",", encoding: str = "utf-8") -> Path:
    frame.to_csv(path, index=False, sep=sep, lineterminator="\n", encoding=encoding)
    return path


CONFIRMED = '# The codes of this file are the codebook\'s (confirmed for the test corpus).\n"*": codebook\n'


def write_codes_csv(frame: pd.DataFrame, path: Path) -> Path:
    """A CSV of codes and its codes file confirming the codebook's codes."""
    from helpers.data.codemap import codes_file

    codes_file(path).write_text(CONFIRMED, encoding="utf-8")
    return write_csv(frame, path)


def normalise_zip(path: Path) -> None:
    """Rewrite a zip (xlsx) with fixed entry times (and document dates) so that its bytes do
    not depend on the clock."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps 'modified' at save time
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-01-01T00:00:00Z", data)
            fixed = zipfile.ZipInfo(info.filename, date_time=(2025, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, data)
    path.write_bytes(out.getvalue())


def write_xlsx(rows: list[list], path: Path, sheet: str = "Responses") -> Path:
    """A workbook of one sheet holding `rows` (lists of cells) from A1."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append([None if (isinstance(c, float) and c != c) or c is pd.NA else c for c in row])
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "make_corpus"
    wb.save(path)
    normalise_zip(path)
    return path


def fix_sav_timestamp(path: Path) -> None:
    """Overwrite the creation date and time in a .sav header (offsets 92-108)."""
    data = bytearray(path.read_bytes())
    assert data[:4] in (b"$FL2", b"$FL3")
    data[92:101] = b"01 Jan 25"
    data[101:109] = b"00:00:00"
    path.write_bytes(bytes(data))


def aliases(codebook=None) -> dict[str, str]:
    """canonical -> the first alias of each variable (a survey platform's question numbers)."""
    cb = codebook or load_codebook()
    return {v.name: (v.aliases[0] if v.aliases else v.name) for v in cb.variables.values()}


def real_shaped(frame: pd.DataFrame, codebook=None) -> tuple[pd.DataFrame, dict, dict]:
    """A frame as an SPSS export would hold it: alias names, numeric codes, binary 1=Yes 2=No,
    tick boxes 1=Selected / blank, 'Prefer not to say' coded -99, not-asked measures coded 2 (No),
    platform metadata columns first. Returns (frame, value labels, user-missing ranges)."""
    cb = codebook or load_codebook()
    names = aliases(cb)
    out: dict[str, object] = {
        "StartDate": [f"2025-03-{1 + i % 28:02d} 09:00:00" for i in range(len(frame))],
        "Duration__in_seconds_": [300.0 + 7 * i for i in range(len(frame))],
    }
    labels: dict[str, dict[float, str]] = {}
    missing: dict[str, list] = {}
    for v in cb.variables.values():
        col = frame[v.name].astype(object)
        name = names[v.name]
        if v.type == "id":
            out[name] = [float(s[1:]) for s in col]  # numeric ids, as SPSS exports them
            continue
        if v.type == "multiple" and v.set == "helps":
            out[name] = [1.0 if x == "Yes" else float("nan") for x in col]
            labels[name] = {1.0: "Selected"}
            continue
        if v.type in ("binary", "multiple"):
            code_of = {"Yes": 1.0, "No": 2.0}
            labels[name] = {1.0: "Yes", 2.0: "No", -99.0: "Prefer not to say"}
        else:
            code_of = {lvl: float(c) for c, lvl in sorted(v.codes.items(), reverse=True)}
            labels[name] = {float(c): lvl for c, lvl in v.codes.items()} | {-99.0: "Prefer not to say"}
        if v.set == "measures":  # not asked -> exported as 2 (No)
            asked = frame["uses_outcome_measures"].astype(object).eq("Yes")
            out[name] = [code_of[x] if a else 2.0 for x, a in zip(col, asked)]
        else:
            out[name] = [code_of[x] if x is not None and x == x else -99.0 for x in col]
        if v.name == "gender":
            missing[name] = [-99.0]  # declared user-missing here; elsewhere only a codebook code
    return pd.DataFrame(out), labels, missing


def write_sav(frame: pd.DataFrame, path: Path, labels: dict, missing: dict | None = None) -> Path:
    import pyreadstat

    pyreadstat.write_sav(frame, str(path), variable_value_labels=labels, missing_ranges=missing or None)
    fix_sav_timestamp(path)
    return path


def write_dta(frame: pd.DataFrame, path: Path, value_labels: dict | None = None) -> Path:
    frame.to_stata(
        path, write_index=False, time_stamp=FIXED_TIME, version=114, value_labels=value_labels, data_label="survey"
    )
    return path


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


def _codes(frame):
    return to_codes(frame)


def _first_row(mask: pd.Series) -> int:
    """1-based data row of the first True."""
    return int(mask.to_numpy().nonzero()[0][0]) + 1


def make(out: Path = HERE) -> dict[str, dict]:
    """Write every broken file into `out`; return the cases (file -> expectations)."""
    cb = load_codebook()
    valid = build_valid_frame()
    codes = _codes(valid)
    labels = labels_only(valid)
    cases: dict[str, dict] = {}

    def case(file, column, message, rows=None, note=""):
        cases[file] = {"column": column, "message": message, "rows": rows, "broken": note}

    (out / "empty.csv").write_bytes(b"")
    case("empty.csv", None, "empty", note="0 bytes")

    (out / "header_only.csv").write_text(",".join(codes.columns) + "\n")
    case("header_only.csv", None, "no data rows", note="the header line and nothing else")

    write_csv(codes, out / "semicolon.csv", sep=";")
    case("semicolon.csv", None, "separated by semicolons", note="';' instead of ',' between columns")

    bad = labels.copy()
    bad.loc[6, "employer_type"] = "Société coopérative"
    write_csv(bad, out / "latin1.csv", encoding="latin-1")
    case("latin1.csv", "employer_type", "not UTF-8", [7], "saved as Latin-1 with an 'é'")

    write_codes_csv(codes.drop(columns="gender"), out / "missing_column.csv")
    case("missing_column.csv", "gender", "required but missing", note="column gender dropped")

    bad = codes.copy()
    bad.insert(3, "favourite_colour", ["blue"] * len(bad))
    write_codes_csv(bad, out / "unexpected_column.csv")
    case("unexpected_column.csv", "favourite_colour", "not in the codebook", note="an extra column")

    bad = labels.copy()
    bad.loc[[2, 16], "patient_outcome_freq"] = "Sometmes"
    write_csv(bad, out / "unknown_label.csv")
    case(
        "unknown_label.csv",
        "patient_outcome_freq",
        "unknown label 'Sometmes': did you mean 'Sometimes'?",
        [3, 17],
        "a typo in a label",
    )

    bad = codes.copy()
    bad.loc[4, "age_group"] = 7
    write_codes_csv(bad, out / "bad_code.csv")
    case("bad_code.csv", "age_group", "code 7 is not a codebook code", [5], "age_group coded 7 (codes 1-4)")

    bad = codes.copy()
    bad.loc[8, "respondent_id"] = bad.loc[3, "respondent_id"]
    write_codes_csv(bad, out / "duplicate_ids.csv")
    case("duplicate_ids.csv", "respondent_id", "duplicate ids 'R004'", [4, 9], "row 9 repeats row 4's id")

    bad = codes.copy()
    bad["service_outcome_freq"] = pd.array([pd.NA] * len(bad), dtype="Int64")
    write_codes_csv(bad, out / "outcome_all_missing.csv")
    case(
        "outcome_all_missing.csv",
        "service_outcome_freq",
        "no answers in any of the 60 rows",
        note="an outcome left blank throughout",
    )

    bad = labels.copy()
    level_code = {lvl: c for c, lvl in cb["education"].codes.items()}
    for i in (1, 7):
        bad.loc[i, "education"] = str(level_code[bad.loc[i, "education"]])
    write_csv(bad, out / "mixed_types.csv")
    case("mixed_types.csv", "education", "mixes numeric codes", [2, 8], "two codes among the text labels of one column")

    title = [["National Social Prescribing Link Worker Survey 2025 - export"], []]
    write_xlsx(title + [list(labels.columns)] + labels.astype(object).values.tolist(), out / "title_row.xlsx")
    case("title_row.xlsx", None, "header is on spreadsheet row 3", note="a title and a blank row above the header")

    shaped, value_labels, missing = real_shaped(valid, cb)
    role = aliases(cb)["seniority"]
    shaped.loc[[5, 22], role] = 9.0
    write_sav(shaped, out / "unlabelled_codes.sav", value_labels, missing)
    case(
        "unlabelled_codes.sav",
        "seniority",
        "code 9 has no value label and is not a codebook code",
        [6, 23],
        "real-shaped SPSS export; seniority coded 9, which has no label",
    )

    write_codes_csv(codes.head(30), out / "too_few_rows.csv")
    case("too_few_rows.csv", None, "the models need at least 50", note="30 respondents")

    bad = codes.copy()
    row = _first_row(valid["helps_none"].eq("Yes"))
    bad.loc[row - 1, "helps_training"] = 1
    write_codes_csv(bad, out / "none_with_others.csv")
    case(
        "none_with_others.csv",
        "helps_none",
        "ticked together with other options",
        [row],
        "'Nothing would help' and 'Training' both ticked",
    )

    bad = codes.copy()
    row = _first_row(valid["uses_outcome_measures"].eq("No"))
    bad.loc[row - 1, "measure_pam"] = 1
    write_codes_csv(bad, out / "skip_logic.csv")
    case(
        "skip_logic.csv",
        "measure_pam",
        "ticked although uses_outcome_measures is 'No'",
        [row],
        "a measure ticked by someone who uses none",
    )

    bad = codes.copy()
    row = _first_row(valid["patient_outcome_freq"].eq("Never"))
    bad.loc[row - 1, "recording_timing"] = 2
    write_codes_csv(bad, out / "timing_skip.csv")
    case(
        "timing_skip.csv",
        "recording_timing",
        "answered although patient_outcome_freq is 'Never'",
        [row],
        "timing answered by someone who never records outcomes",
    )

    bad = labels.copy()
    coded = bad["aware_info_standard"].map({"No": 1, "Yes": 2})  # an export coded 1 = No, 2 = Yes
    bad["aware_info_standard"] = coded
    write_csv(bad, out / "unconfirmed_codes.csv")
    seen = ", ".join(f"{c} ({n} rows)" for c, n in sorted(coded.value_counts().items()))
    case(
        "unconfirmed_codes.csv",
        "aware_info_standard",
        f"numeric codes without value labels: {seen}",
        note="a Yes/No item coded 1 = No, 2 = Yes without value labels (the codebook reads 1 = Yes)",
    )

    write_csv(codes, out / "wrong_extension.txt")
    case("wrong_extension.txt", None, "unsupported file type '.txt'", note="a CSV named .txt")

    (out / "corrupt.sav").write_bytes(b"this is not an SPSS file\n" * 4)
    case("corrupt.sav", None, "it is a text file, not a .sav file", note="text renamed .sav")

    both = labels.copy()
    both.insert(both.columns.get_loc("gender") + 1, "q31", both["gender"])
    cats = {c: pd.Categorical(both[c]) for c in both.columns if c != "respondent_id"}
    write_dta(both.assign(**cats), out / "alias_clash.dta")
    case(
        "alias_clash.dta",
        "gender",
        "all name the codebook variable 'gender'",
        note="Stata file with both gender and its alias q31",
    )

    bad = codes.astype(object).copy()
    text = write_csv(bad, out / "ragged_rows.csv").read_text().splitlines()
    text[12] = text[12] + ",extra"
    (out / "ragged_rows.csv").write_text("\n".join(text) + "\n")
    case("ragged_rows.csv", None, "more cells than the header", [12], "an unquoted comma adds a cell")

    return cases


HEADER = """\
# The corpus of broken survey files: one case per file, written by make_corpus.py (do not edit).
# column:  the column every error line must name (null: a problem of the whole file)
# message: a substring of the error line
# rows:    the data rows the line must list (null: rows do not apply)
# broken:  what is wrong with the file
"""


def main() -> None:
    cases = make(HERE)
    text = yaml.safe_dump(cases, sort_keys=True, allow_unicode=True, width=100, default_flow_style=None)
    (HERE / "cases.yaml").write_text(HEADER + text, encoding="utf-8")
    print(f"wrote {len(cases)} broken files and cases.yaml to {HERE.name}/")


if __name__ == "__main__":
    main()
