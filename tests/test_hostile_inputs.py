"""Files a careless or unlucky user gives the report, generated here: each ends in one line
naming the file (and the column and rows where they exist), exit status 2, nothing written,
no echoed value longer than ~60 characters and no other respondent's data in the message.
Files that parse but cannot be analysed are refused the same way."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from conftest import build_valid_frame, labels_only
from reportbuild import cli, execute

from _build_run import recording_pool
from helpers.validate import MAX_VALUE_CHARS


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return labels_only(build_valid_frame(60))


def _csv(frame, path):
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def long_cell(frame, folder):
    f = frame.copy()
    f.loc[3, "employer_type"] = "x" * 140_000  # over csv's default 131,072-character field limit
    return _csv(f, folder / "long_cell.csv")


def stray_quote(frame, folder):
    lines = _csv(frame, folder / "stray_quote.csv").read_text().splitlines()
    cells = lines[5].split(",")
    cells[3] = '"' + cells[3]  # a quote opened and never closed: swallows every later row
    lines[5] = ",".join(cells)
    (folder / "stray_quote.csv").write_text("\n".join(lines) + "\n")
    return folder / "stray_quote.csv"


def web_page(frame, folder):
    (folder / "page.csv").write_text("<!DOCTYPE html>\n<html><body><p>Your export is ready</p></body></html>\n")
    return folder / "page.csv"


def json_text(frame, folder):
    (folder / "export.csv").write_text(json.dumps(frame.head(3).to_dict(orient="records")))
    return folder / "export.csv"


def gzipped(frame, folder):
    data = _csv(frame, folder / "plain.csv").read_bytes()
    (folder / "plain.csv").unlink()
    (folder / "survey.csv").write_bytes(gzip.compress(data, mtime=0))
    return folder / "survey.csv"


def duplicate_column(frame, folder):
    f = frame.copy()
    f.insert(5, "gender ", f["gender"])
    _csv(f, folder / "dup.csv")
    text = (folder / "dup.csv").read_text().replace("gender ,", "gender,", 1)
    (folder / "dup.csv").write_text(text)
    return folder / "dup.csv"


def other_sheet(frame, folder):
    path = folder / "workbook.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"About": ["This workbook holds the survey responses"]}).to_excel(
            writer, sheet_name="About", index=False
        )
        frame.to_excel(writer, sheet_name="Responses", index=False)
    return path


def folder_as_file(frame, folder):
    (folder / "export.csv").mkdir()
    return folder / "export.csv"


def blank_tick_box(frame, folder):
    f = frame.copy()
    f["measure_ons4"] = ""  # lost in the export; the other options say No when unticked
    return _csv(f, folder / "ticks.csv")


def one_outcome_level(frame, folder):
    f = frame.copy()
    f["service_outcome_freq"] = "Sometimes"
    return _csv(f, folder / "same.csv")


def one_exposure_level(frame, folder):
    f = frame.copy()
    f["aware_info_standard"] = "Yes"
    return _csv(f, folder / "aware.csv")


def derived_one_level(frame, folder):
    f = frame.copy()
    f["patient_outcome_freq"] = (
        f["patient_outcome_freq"].where(f.index % 2 == 0, "Often").where(f.index % 2 == 1, "Very often")
    )
    f["recording_timing"] = f["recording_timing"].replace("", "Every session")
    return _csv(f, folder / "often.csv")


def asked_but_blank(frame, folder):
    f = frame.copy()
    f["recording_timing"] = ""
    return _csv(f, folder / "timing.csv")


# (writer, substring of the message, column, rows)
CASES = {
    "long cell": (long_cell, "a value of 140,000 characters", "employer_type", "row 4"),
    "stray quote": (stray_quote, 'a double quote (") that is never closed', "uses_outcome_measures", "row 5"),
    "HTML": (web_page, "is a web page (HTML)", None, None),
    "JSON": (json_text, "is JSON text", None, None),
    "gzip": (gzipped, "is gzip-compressed", None, None),
    "duplicate column": (duplicate_column, "names column 'gender' 2 times", "gender", None),
    "other sheet": (other_sheet, "the survey is on sheet 'Responses' (sheet 2)", None, None),
    "folder": (folder_as_file, "folder", None, None),
    "blank tick box": (blank_tick_box, "blank in every row, although", "measure_ons4", None),
    "single outcome level": (one_outcome_level, "all 60 answers are 'Sometimes'", "service_outcome_freq", None),
    "single exposure level": (one_exposure_level, "all 60 answers are 'Yes'", "aware_info_standard", None),
    "derived one level": (
        derived_one_level,
        "the derived outcome 'patient_outcomes_often' would have one level",
        "patient_outcome_freq",
        None,
    ),
    "asked but blank": (asked_but_blank, "blank for all", "recording_timing", None),
}


def _check_lines(lines, name, message, column, rows, frame, own_row=None):
    assert len(lines) == 1, lines
    line = lines[0]
    assert name in line and message in line, line
    if column:
        assert f"column {column!r}" in line, line
    if rows:
        assert rows in line, line
    assert len(line) < 400, line
    ids = set(frame["respondent_id"])
    assert not [i for i in ids if i in line], line  # no respondent's id, let alone other rows'


# One fresh interpreter runs `python -m helpers validate FILE` (helpers.__main__.main) once per
# file and reports each run's exit status and output: one interpreter start instead of one per
# case, and each case still checked on its own. Each run is inside warnings.catch_warnings(),
# which forgets the warnings already shown, so one an earlier case gave is shown again.
DRIVER = """
import contextlib, io, json, sys, traceback, warnings
from helpers.__main__ import main
runs = {}
for case, path in json.loads(sys.stdin.read()).items():
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["validate", path])
        except BaseException:
            traceback.print_exc()
            code = None
    runs[case] = {"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()}
print(json.dumps(runs))
"""

ECHO_CASE = "echoed value"


def long_label(frame, folder):
    f = frame.copy()
    f.loc[2, "gender"] = "Female " + "and a very long free-text answer " * 20
    return _csv(f, folder / "long_label.csv")


@pytest.fixture(scope="module")
def validated(frame, tmp_path_factory):
    """Each case's file (in a folder of its own), validated in one fresh interpreter."""
    paths = {}
    for case, writer in [*((c, CASES[c][0]) for c in sorted(CASES)), (ECHO_CASE, long_label)]:
        paths[case] = writer(frame, tmp_path_factory.mktemp("hostile"))
    result = subprocess.run(
        [sys.executable, "-c", DRIVER],
        input=json.dumps({case: str(path) for case, path in paths.items()}),
        cwd=tmp_path_factory.mktemp("cwd"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout)
    return {case: (paths[case], runs[case]) for case in paths}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_says_one_line(case, frame, validated):
    writer, message, column, rows = CASES[case]
    path, run = validated[case]
    assert run["code"] == 2, run["stdout"] + run["stderr"]
    assert "Traceback" not in run["stderr"]
    lines = [line for line in run["stderr"].splitlines() if line.strip()]
    _check_lines(lines, path.name, message, column, rows, frame)


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_build_stops_with_one_line_and_writes_nothing(case, frame, tmp_path, capsys, monkeypatch):
    writer, message, column, rows = CASES[case]
    path = writer(frame, tmp_path)
    executed = []
    monkeypatch.setattr(execute, "Pool", recording_pool(executed))
    out = tmp_path / "out"
    code = cli.main(["--data", str(path), "--out", str(out), "--jobs", "1"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert not executed and not out.exists()
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip() and "nothing executed" not in line]
    _check_lines(lines, path.name, message, column, rows, frame)


def test_qualtrics_extra_header_rows_are_read(frame, tmp_path):
    path = _csv(frame, tmp_path / "qualtrics.csv")
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    text_row = ",".join(f'"{h.replace("_", " ")}?"' for h in header)
    import_row = ",".join(f'"{{""ImportId"":""QID{i}""}}"' for i in range(len(header)))
    path.write_text("\n".join([lines[0], text_row, import_row, *lines[1:]]) + "\n")
    from helpers.data import load_survey

    df = load_survey(path, cache=False)
    assert len(df) == 60 and df["respondent_id"].iloc[0] == frame["respondent_id"].iloc[0]


def test_echoed_values_are_clipped(validated):
    _, run = validated[ECHO_CASE]
    assert run["code"] == 2
    quoted = run["stderr"].split("unknown label ")[1].split(" (expected")[0]
    assert len(quoted) <= MAX_VALUE_CHARS + 2 and quoted.endswith("\u2026'")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_validate_does_not_block_on_a_named_pipe(tmp_path):
    os.mkfifo(tmp_path / "export.csv")
    result = subprocess.run(
        [sys.executable, "-m", "helpers", "validate", str(tmp_path / "export.csv")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "export.csv" in result.stderr and len(result.stderr.splitlines()) == 1
