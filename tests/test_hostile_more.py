"""More files an outsider might give the report, generated here. What broke, now fixed: a file
of any size was read (and hashed) whole before any check (a 1.2 GB file: 13 s before a
misleading 'binary file' line), a header of a million columns took 140 s and 800 MB before its
line, a confounder with one answer among the rows the models use passed validation and failed
two chapters, duplicate submissions passed silently. What held is pinned too: value labels
over differing codes, case and whitespace variants, a trailing comma on every line, Windows
text, Excel booleans, formula errors, dates and tables placed lower on the sheet."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest
from openpyxl import Workbook

from conftest import build_valid_frame, labels_only
from helpers import datafile, validate
from helpers.data import load_survey, readers


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return labels_only(build_valid_frame(60))


def _csv(frame, path, **kw):
    frame.to_csv(path, index=False, lineterminator=kw.pop("lineterminator", "\n"), **kw)
    return path


def _validate(path, capsys) -> tuple[int, list[str], str]:
    code = validate.main(["--summary", str(path)])
    out, err = capsys.readouterr()
    return code, [line for line in err.splitlines() if line.strip()], out


def _one_line(lines, name, *parts):
    assert len(lines) == 1, lines
    assert name in lines[0] and all(p in lines[0] for p in parts), lines[0]
    assert "Traceback" not in lines[0] and len(lines[0]) < 400


def _xlsx(rows, path):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _rows(frame):
    return [[None if x is None or x != x else x for x in r] for r in frame.itertuples(index=False)]


# ------------------------------------------------------------------------ bounds (these broke)


def test_a_file_over_the_size_limit_is_refused_unread_and_unhashed(frame, tmp_path, capsys, monkeypatch):
    path = _csv(frame, tmp_path / "export.csv")
    monkeypatch.setattr(datafile, "MAX_FILE_BYTES", path.stat().st_size - 1)
    monkeypatch.setattr(datafile, "file_sha256", lambda p: pytest.fail("hashed before the size check"))
    monkeypatch.setattr(type(path), "read_bytes", lambda p: pytest.fail("read before the size check"))
    code, lines, _ = _validate(path, capsys)
    assert code == 2
    _one_line(lines, "export.csv", "MB, over the", "MAX_FILE_BYTES")


def test_too_many_columns_is_one_line_before_the_header_is_searched(frame, tmp_path, capsys, monkeypatch):
    wide = frame.copy()
    for i in range(50):
        wide[f"extra_{i}"] = "1"
    path = _csv(wide, tmp_path / "wide.csv")
    monkeypatch.setattr(readers, "MAX_COLUMNS", 60)
    monkeypatch.setattr(readers, "_header_row", lambda *a: pytest.fail("header searched"))
    code, lines, _ = _validate(path, capsys)
    assert code == 2
    _one_line(lines, "wide.csv", "80 columns, over the 60", "MAX_COLUMNS")


def test_too_many_variables_in_an_spss_file_is_one_line(frame, tmp_path, capsys, monkeypatch):
    import pyreadstat

    path = tmp_path / "wide.sav"
    pyreadstat.write_sav(pd.DataFrame({f"v{i}": [1.0, 2.0] for i in range(70)}), str(path))
    monkeypatch.setattr(readers, "MAX_COLUMNS", 60)
    code, lines, _ = _validate(path, capsys)
    assert code == 2
    _one_line(lines, "wide.sav", "70 columns, over the 60")


def test_a_confounder_with_one_answer_among_the_modelled_rows_is_refused(frame, tmp_path, capsys):
    """Senior staff all left an ethnicity blank: every row the models use says 'Link worker'."""
    f = frame.copy()
    f["seniority"] = "Link worker"
    f.loc[56:, "seniority"] = "Manager or coordinator"
    f.loc[56:, "ethnicity"] = None
    code, lines, _ = _validate(_csv(f, tmp_path / "senior.csv"), capsys)
    assert code == 2
    _one_line(lines, "senior.csv", "column 'seniority'", "answer 'Link worker'", "cannot be adjusted for")


def test_duplicate_submissions_are_named_and_kept(frame, tmp_path, capsys):
    f = frame.copy()
    f.iloc[10:13, 1:] = f.iloc[0, 1:].to_numpy()  # the same answers under three new ids
    code, lines, out = _validate(_csv(f, tmp_path / "dups.csv"), capsys)
    assert code == 0 and "valid, 60 respondents" in out
    _one_line(lines, "dups.csv", "warning:", "rows 11, 12, 13 repeat an earlier respondent's answers")
    assert not [i for i in f["respondent_id"] if i in lines[0]]
    code, lines, _ = _validate(_csv(frame, tmp_path / "plain.csv"), capsys)
    assert code == 0 and lines == []


# --------------------------------------------------------------------------- what held


def test_text_variants_of_the_labels_are_read(frame, tmp_path):
    f = frame.copy()
    f["training"] = f["training"].map({"Yes": " yes", "No": "No "})
    f["gender"] = f["gender"].str.upper()
    df = load_survey(_csv(f, tmp_path / "case.csv"), cache=False)
    assert df["training"].astype(object).eq("Yes").sum() == frame["training"].eq("Yes").sum()
    assert df["gender"].astype(object).eq("Male").sum() == frame["gender"].eq("Male").sum()


def test_windows_csv_trailing_commas_and_thousands_ids_are_read(frame, tmp_path):
    f = frame.copy()
    f["respondent_id"] = [f"{1000 + i:,}" for i in range(len(f))]
    text = f.to_csv(index=False, lineterminator="\r\n").replace("\r\n", ",\r\n")
    path = tmp_path / "excel.csv"
    path.write_bytes(text.encode("cp1252"))
    df = load_survey(path, cache=False)
    assert len(df) == 60 and df["respondent_id"].iloc[0] == "1,000"


def test_smart_quotes_in_windows_text_are_one_line(frame, tmp_path, capsys):
    f = frame.copy()
    f.loc[2, "employer_type"] = "Other \u2013 \u201cVCSE\u201d"
    code, lines, _ = _validate(_csv(f, tmp_path / "windows.csv", encoding="cp1252"), capsys)
    assert code == 2
    _one_line(lines, "windows.csv", "column 'employer_type'", "row 3", "not UTF-8")


def test_value_labels_decide_over_codes_in_spss(tmp_path):
    from bad_inputs.make_corpus import aliases, real_shaped, write_sav

    base = build_valid_frame(60)
    shaped, labels, missing = real_shaped(base)
    column = aliases()["patient_outcome_freq"]
    flip = {c: 6 - c if c > 0 else c for c in labels[column]}  # 5 = Never ... 1 = Very often
    shaped[column] = shaped[column].map(lambda x: flip.get(x, x))
    labels[column] = {flip[c]: v for c, v in labels[column].items()}
    df = load_survey(write_sav(shaped, tmp_path / "recoded.sav", labels, missing), cache=False)
    assert (df["patient_outcome_freq"].astype(object) == base["patient_outcome_freq"].astype(object)).all()


def test_excel_booleans_formula_errors_and_dates(frame, tmp_path, capsys):
    columns = list(frame.columns)
    rows = _rows(frame)
    for row in rows:
        for j, c in enumerate(columns):
            if c.startswith("helps_") and row[j] in ("Yes", "No"):
                row[j] = row[j] == "Yes"  # TRUE / FALSE tick boxes
    df = load_survey(_xlsx([columns, *rows], tmp_path / "ticks.xlsx"), cache=False)
    assert df["helps_training"].astype(object).eq("Yes").sum() == frame["helps_training"].eq("Yes").sum()

    rows[3][columns.index("age_group")] = "#N/A"  # a formula's error, as Excel caches it
    rows[5][columns.index("years_in_role")] = datetime.datetime(2024, 1, 2)  # '1-2' turned into a date
    code, lines, _ = _validate(_xlsx([columns, *rows], tmp_path / "errors.xlsx"), capsys)
    assert code == 2 and len(lines) == 2, lines
    assert "column 'age_group': row 4: unknown label '#N/A'" in lines[0]
    assert "column 'years_in_role': row 6: unknown label '2024-01-02" in lines[1]


@pytest.mark.parametrize("where", ["title row", "table at C3"])
def test_a_header_lower_on_the_sheet_is_one_line(frame, tmp_path, capsys, where):
    columns = list(frame.columns)
    if where == "title row":
        rows = [["Survey 2025"], columns, *_rows(frame)]
        expected = "the header is on spreadsheet row 2"
    else:
        rows = [[], [], *([None, None, *r] for r in [columns, *_rows(frame)])]
        expected = "the header is on spreadsheet row 3"
    code, lines, _ = _validate(_xlsx(rows, tmp_path / "sheet.xlsx"), capsys)
    assert code == 2
    _one_line(lines, "sheet.xlsx", expected)


@pytest.mark.parametrize("where", [".venv/report", ".venv-lab"])
def test_an_output_folder_inside_the_environment_is_refused(where):
    from helpers import paths
    from reportbuild import guard

    with pytest.raises(guard.GuardError, match="inside the Python environment"):
        guard.check_output_folder(paths.ROOT / where)
