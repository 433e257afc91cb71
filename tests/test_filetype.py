"""A data file whose name does not say what it is, or that is cut short: one line saying what
the file really is (or that it is damaged), exit status 2, and no parser complaint about row 1."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pyreadstat
import pytest

from conftest import build_valid_frame, labels_only
from helpers.data import filetype
from helpers.validate import main as validate


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return labels_only(build_valid_frame(60))


def _csv_bytes(frame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode()


def _sav_bytes(frame, folder) -> bytes:
    pyreadstat.write_sav(frame, str(folder / "tmp.sav"))
    data = (folder / "tmp.sav").read_bytes()
    (folder / "tmp.sav").unlink()
    return data


def _xlsx_bytes(frame) -> bytes:
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    return buffer.getvalue()


def _zip_of_csv(frame) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("survey.csv", _csv_bytes(frame))
    return buffer.getvalue()


PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"

# name: (file name, its bytes from (frame, folder), what the one line must say)
CASES = {
    "PDF named .csv": ("survey.csv", lambda f, d: PDF, "it is a PDF document, not a .csv file"),
    "ZIP named .csv": ("survey.csv", lambda f, d: _zip_of_csv(f), "unpack it and give the survey file inside"),
    "CSV named .sav": (
        "survey.sav",
        lambda f, d: _csv_bytes(f),
        "not a .sav file: if it is a CSV export, name it .csv",
    ),
    "CSV named .xlsx": ("survey.xlsx", lambda f, d: _csv_bytes(f), "not a .xlsx file: if it is a CSV export"),
    "CSV named .dta": ("survey.dta", lambda f, d: _csv_bytes(f), "not a .dta file: if it is a CSV export"),
    "SPSS named .csv": ("survey.csv", lambda f, d: _sav_bytes(f, d), "real extension (.sav)"),
    "SPSS named .xlsx": ("survey.xlsx", lambda f, d: _sav_bytes(f, d), "real extension (.sav)"),
    "Excel named .sav": ("survey.sav", lambda f, d: _xlsx_bytes(f), "real extension (.xlsx)"),
    "PDF named .sav": ("survey.sav", lambda f, d: PDF, "it is a PDF document, not a .sav file"),
    "SPSS cut short": ("survey.sav", lambda f, d: _sav_bytes(f, d)[:700], "damaged or cut short"),
    "Excel cut short": ("survey.xlsx", lambda f, d: _xlsx_bytes(f)[:3000], "damaged or cut short"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_misnamed_or_damaged_file_is_one_line(case, frame, tmp_path, capsys):
    name, content, message = CASES[case]
    path = tmp_path / name
    path.write_bytes(content(frame, tmp_path))
    assert validate([str(path)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{name}: ") and message in lines[0], lines[0]
    assert str(tmp_path) not in lines[0]  # a parser's message would carry the full path


def test_a_file_that_is_what_it_says_is_not_called_misnamed(frame, tmp_path):
    (tmp_path / "a.csv").write_bytes(_csv_bytes(frame))
    (tmp_path / "a.sav").write_bytes(_sav_bytes(frame, tmp_path))
    (tmp_path / "a.xlsx").write_bytes(_xlsx_bytes(frame))
    assert [filetype.misnamed(tmp_path / n, "." + n.split(".")[1]) for n in ("a.csv", "a.sav", "a.xlsx")] == [None] * 3
    assert validate([str(tmp_path / "a.sav")]) == 0


def test_sniff_reads_only_the_first_bytes_and_knows_text_from_binary(tmp_path):
    (tmp_path / "t").write_bytes("id,name\n1,Zoë\n".encode() * 2000)
    (tmp_path / "b").write_bytes(bytes(range(256)) * 20)
    assert filetype.sniff(tmp_path / "t") == (filetype.TEXT, ".csv")
    assert filetype.sniff(tmp_path / "b") is None


def test_bytes_already_read_are_judged_without_opening_the_file_again(frame, tmp_path):
    gone = tmp_path / "read-then-removed.csv"  # a reader that has the bytes does not reopen the path
    assert filetype.misnamed(gone, ".csv", head=_xlsx_bytes(frame)).startswith("it is an Excel")
    assert filetype.misnamed(gone, ".csv", head=_csv_bytes(frame)) is None


def test_a_byte_order_mark_and_blank_lines_are_an_empty_file(tmp_path, capsys):
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf\r\n\r\n")
    (tmp_path / "letters.csv").write_bytes(b"\\ufeff\n")  # the six characters, not a byte-order mark
    assert validate([str(tmp_path / "bom.csv")]) == 2
    assert "the file is empty" in capsys.readouterr().err
    assert validate([str(tmp_path / "letters.csv")]) == 2
    assert "the file is empty" not in capsys.readouterr().err
