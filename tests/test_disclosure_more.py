"""Disclosure control attacked from outside, across tables: an export with small cells in many
variables at once (tests/_small_cells_more.py), the report's tables rendered to HTML as the
chapters render them, and an attacker (tests/_report_attacker.py) that reads only that HTML,
the CSVs beside it and the public codebook.

Found this way: the mapping report chose its complements column by column, Table 1 its own, so
the mapping's 'VCSE organisation 150' (hidden in Table 1) gave 'Local authority' = 2 by
subtraction, and a tick-box option's hidden 'Yes' was the answered total minus its shown 'No'
(the other options showing how many skipped the question)."""

from __future__ import annotations

import IPython.display
import pandas as pd
import pytest

import _small_cells_more
from _build_run import build_command
from _report_attacker import Solver, attack, shown_small_counts
from helpers.data import load_survey
from helpers.data.codebook import load_codebook
from helpers.present import disclosure, mapping, narrative, tables

K = 5


def test_mapping_counts_shown_beside_table_one_give_nothing_away():
    """Fast: the employer column of the export below as the mapping report and Table 1 show it.
    Table 1 hides 'VCSE organisation' (150) as the complement of 'Local authority' (2) and shows
    the 7 missing; the mapping may show none of the column's counts that Table 1 hides."""
    frame = pd.DataFrame(
        {
            "raw_column": ["q37"] * 4 + ["q36"] * 2,
            "read_as": ["PCN or GP practice", "VCSE organisation", "Local authority", "(missing)", "No", "Yes"],
            "n": pd.array([250, 150, 2, 7, 200, 209], dtype="Int64"),
        }
    )
    shown = dict(zip(frame["read_as"], mapping.suppressed(frame, K)["n"]))
    assert shown["No"] == 200 and shown["Yes"] == 209  # columns without a small count are untouched
    s = Solver()
    cells = {
        level: s.cell(level, "[c]" if shown[level] == disclosure.MARKER else str(shown[level]))[0]
        for level in ["PCN or GP practice", "VCSE organisation", "Local authority", "(missing)"]
    }
    s.total(list(cells.values()), s.var("N", 409, 409))
    s.fact({cells["PCN or GP practice"]: 1.0}, 250)  # Table 1
    s.fact({cells["(missing)"]: 1.0}, 7)
    lo, hi = s.range("Local authority")
    assert hi - lo + 1 >= K
    former = dict(zip(frame["read_as"], _column_by_column(frame, K)["n"]))
    assert former["VCSE organisation"] == 150  # the former rule showed it: 409 - 250 - 150 - 7 = 2


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    path = _small_cells_more.write(tmp_path_factory.mktemp("export") / "many_small.sav")
    df = load_survey(path, cache=False)
    assert df.attrs["source"] == "real"
    return path, df


def _render(path, df, folder, monkeypatch) -> None:
    """report.html with the data chapter's mapping table and Table 1 and the solutions chapter's
    cross-tab, made by the calls the notebooks make; mapping.csv written beside it."""
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    shown.append(mapping.show(df, str(path), str(folder), K))  # the chapter's cell displays what it returns
    shown.append(tables.table_one(df, narrative.TABLE_ONE_COLUMNS, min_count=K))
    shown.append(tables.multiple_response_by(df, narrative.HELP_COLUMNS, by="patient_outcomes_often", min_count=K))
    html = [o.as_raw_html() for o in shown if hasattr(o, "as_raw_html")]
    assert len(html) == 3
    (folder / "report.html").write_text("<html><body>" + "".join(html) + "</body></html>", encoding="utf-8")


def _column_by_column(frame: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """The mapping's former rule: complementary suppression within each raw column only."""
    out = frame.copy()
    shown = out["n"].astype(object).where(out["n"].notna(), "")
    for _, rows in out.groupby("raw_column", sort=False).groups.items():
        rows = [r for r in rows if pd.notna(out["n"].loc[r])]
        if len(rows) > 1:
            hidden = disclosure.protect_sums([int(out["n"].loc[r]) for r in rows], min_count, [list(range(len(rows)))])
            shown.loc[[r for r, h in zip(rows, hidden) if h]] = disclosure.MARKER
    out["n"] = shown
    return out


@pytest.mark.slow
def test_the_fixture_has_the_small_cells_it_claims(export):
    _, df = export
    counts = {c: df[c].value_counts().to_dict() for c in ("ethnicity", "employer_type", "gender")}
    assert counts["ethnicity"]["Black or Black British"] == 3 and counts["ethnicity"]["Mixed or other"] == K
    assert counts["employer_type"]["Local authority"] == 2 and counts["employer_type"]["Other"] == 0
    assert counts["gender"]["Another gender"] == 1
    assert (df["helps_feedback_on_use"] == "Yes").sum() == 4 and df["helps_training"].isna().sum() > 46


@pytest.mark.slow
def test_an_outsider_recovers_no_small_cell_across_the_tables(export, tmp_path, monkeypatch):
    path, df = export
    _render(path, df, tmp_path, monkeypatch)
    assert attack(tmp_path, load_codebook(), K) == []
    assert shown_small_counts(tmp_path, K) == []
    text = (tmp_path / "report.html").read_text()
    assert "0 (0.0%)" in text  # a level with no one is shown: zeros disclose nobody
    assert "5 (1.4%)" in text  # a count of exactly min_cell_count is shown


@pytest.mark.slow
def test_the_attacker_recovers_what_column_by_column_protection_leaves(export, tmp_path, monkeypatch):
    """The attack can fail: with the mapping's former per-column complements it finds the
    Local authority 2 and the feedback option's 4."""
    path, df = export
    monkeypatch.setattr(mapping, "suppressed", _column_by_column)
    _render(path, df, tmp_path, monkeypatch)
    found = attack(tmp_path, load_codebook(), K)
    assert "('employer_type', 'Local authority'): 2..2" in found
    assert "('helps_feedback_on_use', 'Yes'): 4..4" in found


@pytest.mark.slow
def test_the_mapping_csv_carries_no_small_count_and_no_row_level_data(export, tmp_path, monkeypatch):
    path, df = export
    _render(path, df, tmp_path, monkeypatch)
    written = pd.read_csv(tmp_path / "mapping.csv", dtype=str, keep_default_na=False)
    counts = written["n"][written["n"].str.isdigit()].astype(int)
    assert not counts.between(1, K - 1).any()
    ids = written[written["variable"] == "respondent_id"]
    assert len(ids) == 1 and ids["raw_value"].iloc[0].startswith("(")  # the ids are not listed
    assert len(written) < len(df) / 2  # one row per raw value, not per respondent


@pytest.mark.slow
def test_a_whole_real_data_build_gives_an_outsider_no_small_cell(export, tmp_path):
    """The whole report built on the export; the attacker reads only the output folder."""
    path, _ = export
    out = tmp_path / "out"
    build_command(path, out)
    assert attack(out, load_codebook(), K) == []
    assert shown_small_counts(out, K) == []
    assert "Local authority" in (out / "report.html").read_text(encoding="utf-8")
