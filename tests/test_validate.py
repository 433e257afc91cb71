"""helpers.validate: one-line errors, the corpus of broken files, the command line."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers import validate
from helpers.data import checks
from helpers.validate import Problem, SurveyValidationError, format_rows, main, validate_frame

from conftest import labels_only

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
PYTHON = sys.executable


# --------------------------------------------------------------------------------------------
# The corpus: each broken file fails the command line with one clear line
# --------------------------------------------------------------------------------------------


def test_corpus_has_the_required_kinds_of_breakage():
    assert len(CASES) >= 16
    required = {
        "empty.csv",
        "header_only.csv",
        "semicolon.csv",
        "latin1.csv",
        "missing_column.csv",
        "unexpected_column.csv",
        "unknown_label.csv",
        "bad_code.csv",
        "duplicate_ids.csv",
        "outcome_all_missing.csv",
        "mixed_types.csv",
        "title_row.xlsx",
        "unlabelled_codes.sav",
        "too_few_rows.csv",
        "none_with_others.csv",
        "skip_logic.csv",
        "unconfirmed_codes.csv",
    }
    assert required <= set(CASES)
    assert all((CORPUS / name).is_file() for name in CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_broken_file_fails_with_one_clear_line(name, capsys, monkeypatch):
    """`python -m helpers validate FILE` (its main, in-process: fast) exits 2 with one line on
    stderr naming the file, the column where one applies and the rows where rows apply."""
    monkeypatch.setenv("HELPERS_SURVEY_CACHE", "0")
    monkeypatch.delenv("HELPERS_DEBUG", raising=False)
    case = CASES[name]
    assert main([str(CORPUS / name)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith(f"{name}: "), line
    assert case["message"] in line, line
    if case["column"]:
        assert f"'{case['column']}'" in line, line
    if case["rows"]:
        assert format_rows(case["rows"]) in line, line
    else:
        assert "row " not in line.split(": ", 1)[1] or "spreadsheet row" in line, line
    assert str(CORPUS) not in line  # the file's name, never its path


def test_corpus_through_a_real_subprocess():
    """The real command, once over the whole corpus: exit 2, no traceback, nothing on stdout,
    and stderr is exactly one line per file, in order (no stray warnings)."""
    names = sorted(CASES)
    env = {k: v for k, v in os.environ.items() if k != "HELPERS_DEBUG"} | {"HELPERS_SURVEY_CACHE": "0"}
    result = subprocess.run(
        [PYTHON, "-m", "helpers", "validate", *(str(CORPUS / n) for n in names)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == names
    for name, line in zip(names, lines):
        assert CASES[name]["message"] in line, line


def test_corpus_is_what_make_corpus_writes(tmp_path):
    """The committed files are byte-for-byte what the script regenerates (deterministic)."""
    from bad_inputs import make_corpus

    cases = make_corpus.make(tmp_path)
    assert cases == CASES
    for name in cases:
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), name
    written = sorted(p.name for p in tmp_path.glob("*.codes.yaml"))
    assert written and written == sorted(p.name for p in CORPUS.glob("*.codes.yaml"))
    for name in written:
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), name


# --------------------------------------------------------------------------------------------
# Message format
# --------------------------------------------------------------------------------------------


def test_format_rows_abbreviates():
    assert format_rows([3]) == "row 3"
    assert format_rows([7, 3, 3]) == "rows 3, 7"
    assert format_rows(range(1, 46)) == "rows 1, 2, 3, 4, 5 and 40 more"


def test_problem_line_names_file_column_rows():
    p = Problem("unknown label 'x'", ("gender",), (3, 7))
    assert p.line("s.csv") == "s.csv: column 'gender': rows 3, 7: unknown label 'x'"
    assert Problem("bad", ("a", "b")).line("s.csv") == "s.csv: columns 'a', 'b': bad"
    assert Problem("empty").line("s.csv") == "s.csv: empty"


def test_error_is_one_line_and_picklable():
    err = SurveyValidationError("s.csv", [Problem("one", ("a",), (1,)), Problem("two", ("b",)), "three"])
    assert isinstance(err, ValueError)
    assert err.file == "s.csv"
    assert err.problems == ["s.csv: column 'a': row 1: one", "s.csv: column 'b': two", "s.csv: three"]
    assert err.messages == err.problems
    assert "\n" not in str(err)
    assert str(err) == "s.csv: 3 problems in columns 'a', 'b'; first: column 'a': row 1: one"
    again = pickle.loads(pickle.dumps(err))
    assert again.problems == err.problems and str(again) == str(err)
    single = SurveyValidationError("s.csv", [Problem("one", ("a",), (1,))])
    assert str(single) == "s.csv: column 'a': row 1: one"


def test_several_problems_are_all_reported(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    df["gender"] = df["gender"].astype(object)
    df.loc[:44, "gender"] = "Femal"  # 45 rows
    df.loc[3, "age_group"] = "99+"
    df["notes"] = "x"
    path = tmp_path / "several.csv"
    df.to_csv(path, index=False)
    with pytest.raises(SurveyValidationError) as info:
        validate.validate_file(path)
    lines = info.value.problems
    assert lines[0] == (
        "several.csv: column 'notes': not in the codebook (neither a variable nor an "
        "alias, nor matched by ignore_columns): remove or rename it, or add it to "
        "data/codebook.yaml"
    )
    assert any(
        line.startswith("several.csv: column 'gender': rows 1, 2, 3, 4, 5 and ") and "did you mean 'Female'?" in line
        for line in lines
    )
    assert any("column 'age_group': row 4: unknown label '99+'" in line for line in lines)
    # 45 + 1 rows lose a model variable: too few complete rows, too.
    assert lines[-1].startswith("several.csv: only ")
    assert all(str(tmp_path) not in line for line in lines)


def test_many_distinct_bad_labels_make_one_line(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    df["ethnicity"] = [f"free text {i}" for i in range(len(df))]
    path = tmp_path / "free.csv"
    df.to_csv(path, index=False)
    with pytest.raises(SurveyValidationError) as info:
        validate.validate_file(path)
    ethnicity = [p for p in info.value.problems if "'ethnicity'" in p]
    assert len(ethnicity) == 1
    assert "60 unknown labels ('free text 0', 'free text 1', 'free text 2' and 57 more" in ethnicity[0]


# --------------------------------------------------------------------------------------------
# validate_frame and the thresholds
# --------------------------------------------------------------------------------------------


def test_validate_frame_accepts_the_canonical_fixture(valid_frame):
    assert validate_frame(valid_frame, "fixture") is valid_frame


def test_validate_frame_rejects_wrong_categories_and_columns(valid_frame):
    df = valid_frame.copy()
    df["age_group"] = df["age_group"].cat.as_unordered()
    df["extra"] = 1
    with pytest.raises(SurveyValidationError) as info:
        validate_frame(df, "frame")
    text = "\n".join(info.value.problems)
    assert "frame: column 'extra': not in the codebook" in text
    assert "frame: column 'age_group': categories" in text


def test_min_complete_rows_is_the_threshold(monkeypatch, valid_frame):
    complete = 57  # the fixture's rows with every model variable answered
    monkeypatch.setattr(checks, "MIN_COMPLETE_ROWS", complete)
    validate_frame(valid_frame)
    monkeypatch.setattr(checks, "MIN_COMPLETE_ROWS", complete + 1)
    with pytest.raises(SurveyValidationError, match=f"only {complete} of 60 rows .* at least {complete + 1}"):
        validate_frame(valid_frame)


def test_skip_logic_ignores_unknown_condition(valid_frame):
    """A measure ticked by someone who did not answer the filter question is not an error."""
    df = valid_frame.copy()
    i = df.index[df["uses_outcome_measures"] == "Yes"][0]
    df.loc[i, "uses_outcome_measures"] = pd.NA
    validate_frame(df)


def test_parse_condition():
    assert checks.parse_condition("uses_outcome_measures == 'Yes'") == ("uses_outcome_measures", True, ("Yes",))
    assert checks.parse_condition("x != 'Never'") == ("x", False, ("Never",))
    assert checks.parse_condition("x in ['A', 'B']") == ("x", True, ("A", "B"))


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def test_cli_valid_file(capsys, valid_csv, monkeypatch):
    monkeypatch.setenv("HELPERS_SURVEY_CACHE", "0")
    assert main([str(valid_csv)]) == 0
    out, err = capsys.readouterr()
    summary, *mapping = out.splitlines()
    assert summary == "survey_valid.csv: valid, 60 respondents, 30 variables (source: real)"
    assert mapping[0] == "survey_valid.csv: how each of its 30 columns was read"  # then the mapping report
    assert err == ""
    assert main(["--summary", str(valid_csv)]) == 0
    assert capsys.readouterr().out == summary + "\n"


def test_cli_reports_dropped_platform_columns(capsys, tmp_path, valid_frame, monkeypatch):
    monkeypatch.setenv("HELPERS_SURVEY_CACHE", "0")
    df = labels_only(valid_frame)
    df.insert(0, "StartDate", "2025-03-01 09:00")
    df.insert(1, "IPAddress", "192.0.2.1")
    path = tmp_path / "export.csv"
    df.to_csv(path, index=False)
    assert main([str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "export.csv: valid, 60 respondents, 30 variables (source: real; "
        "dropped 2 platform columns: StartDate, IPAddress)"
    )
    assert "  StartDate -> dropped: platform metadata (ignore_columns 'StartDate')" in out
    assert "  IPAddress -> dropped: platform metadata (ignore_columns 'IPAddress')" in out


def test_cli_several_files_missing_file_and_usage(capsys, valid_csv, tmp_path, monkeypatch):
    monkeypatch.setenv("HELPERS_SURVEY_CACHE", "0")
    assert main([str(valid_csv), str(tmp_path / "nope.csv"), str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out.startswith("survey_valid.csv: valid")
    assert err.splitlines()[0] == "nope.csv: file not found"
    assert err.splitlines()[1].endswith(": is a folder, not a survey file: give the path of the export itself")
    assert main([]) == 2
    assert "usage: python -m helpers validate" in capsys.readouterr().err
    assert main(["--help"]) == 0


def test_cli_unexpected_error_is_one_line(capsys, valid_csv, monkeypatch):
    import helpers.data.load

    def boom(*args, **kwargs):
        raise RuntimeError(f"disk trouble reading {valid_csv}")

    monkeypatch.setattr(helpers.data.load, "load_survey", boom)
    assert main([str(valid_csv)]) == 2
    err = capsys.readouterr().err
    assert err == "survey_valid.csv: cannot be read: RuntimeError: disk trouble reading survey_valid.csv\n"
    monkeypatch.setenv("HELPERS_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main([str(valid_csv)])


@pytest.mark.parametrize(
    "name, content, message",
    [
        (
            "renamed.csv",
            (CORPUS / "title_row.xlsx").read_bytes(),
            "an Excel workbook, not a .csv file: give it its real extension (.xlsx)",
        ),
        ("old.xls", b"x", "unsupported file type '.xls': save it as .xlsx"),
        ("blanks.csv", b"\n\n  \n", "empty (only blank lines)"),
        (
            "unnamed.csv",
            b"respondent_id,,gender\nR1,5,Male\n",
            "column 2 (counting from 1) hold values but have no name",
        ),
        ("notes.csv", b"a,b,c\n1,2,3\n", "none of the 3 columns is a codebook variable ('a', 'b', 'c')"),
        ("broken.xlsx", b"PK\x03\x04 not really a zip", "cannot be read as an Excel .xlsx workbook"),
        ("broken.dta", b"<stata_dta> nope", "cannot be read as a Stata .dta file"),
    ],
)
def test_file_level_problems(tmp_path, capsys, name, content, message):
    (tmp_path / name).write_bytes(content)
    assert main([str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"{name}: ") and message in err, err
