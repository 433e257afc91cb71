"""Disclosure control: no hidden count can be worked out from what the report shows.

The attacker here reads only the *displayed* tables (strings such as '353 (87.2%)', '[c]',
headers '... (n = 409)'), the figures' data and the sums the prose publishes, writes every fact
as a linear constraint on integer unknowns, and solves for each hidden cell's smallest and
largest value (integer programming). Every hidden cell must keep at least k possible values.
The data are a real-shaped SPSS export generated here (small cells as in the issue: 3
'Another gender', 4 'Mixed or other', a 'what would help' option ticked by 21, few in one
group), loaded through the loader as a real file.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from _build_run import build_command
from bad_inputs.make_corpus import real_shaped, write_sav
from conftest import build_valid_frame
from helpers.analysis import describe
from helpers.present import disclosure, narrative, tables
from helpers.data.codebook import load_codebook
from helpers.data import load_survey
from helpers.present.disclosure import MARKER, Puzzle

K = 5
N = 409


def _set_counts(frame: pd.DataFrame, column: str, counts: dict, rows=None) -> None:
    """Give `column` exactly these level counts (in row order), the rest missing."""
    rows = frame.index if rows is None else rows
    values = [level for level, n in counts.items() for _ in range(n)]
    values += [None] * (len(rows) - len(values))
    frame.loc[rows, column] = pd.Categorical(values, dtype=frame[column].dtype)


@pytest.fixture(scope="module")
def small_cells_export(small_cells_file):
    """The export below, loaded as real data."""
    df = load_survey(small_cells_file, cache=False)
    assert df.attrs["source"] == "real"
    assert (df["gender"] == "Another gender").sum() == 3 and (df["ethnicity"] == "Mixed or other").sum() == 4
    return df


@pytest.fixture(scope="module")
def small_cells_file(tmp_path_factory):
    """A 409-row real-shaped SPSS export with the issue's small cells."""
    frame = build_valid_frame(N)
    _set_counts(frame, "gender", {"Female": 353, "Male": 53, "Another gender": 3})
    _set_counts(
        frame,
        "ethnicity",
        {"White": 330, "Asian or Asian British": 45, "Black or Black British": 27, "Mixed or other": 4},
    )  # 3 missing
    _set_counts(frame, "seniority", {"Link worker": 380, "Senior or lead link worker": 27, "Manager or coordinator": 2})
    _set_counts(
        frame,
        "recording_timing",
        {"Beginning and end": 2, "Every session": 3},
        rows=frame.index[frame["patient_outcome_freq"].astype(object) != "Never"][:5],
    )
    rest = frame.index[frame["patient_outcome_freq"].astype(object) != "Never"][5:]
    frame.loc[rest, "recording_timing"] = "Other pattern"
    # a 'what would help' option ticked by few in one group of the cross-tab
    often = frame["patient_outcomes_often"].astype(object).eq("Yes")
    answered = frame["helps_none"].astype(object).eq("No")
    option = "helps_national_measure"
    frame[option] = frame[option].astype(object).where(~answered, "No")
    ticks = list(frame.index[answered & often][:17]) + list(frame.index[answered & ~often][:4])
    frame.loc[ticks, option] = "Yes"
    frame[option] = pd.Categorical(frame[option], dtype=pd.CategoricalDtype(["No", "Yes"]))
    shaped, labels, missing = real_shaped(frame)
    return write_sav(shaped, tmp_path_factory.mktemp("export") / "survey_export.sav", labels, missing)


# --------------------------------------------------------------------------------- the attacker

_CELL = re.compile(r"^(\d+) \((\d+\.\d)%\)$")


def _read(puzzle: Puzzle, text: str, denominator=None):
    """A displayed 'n (p%)' or marker as a puzzle unknown (+ its percentage fact later)."""
    if text == MARKER:
        return puzzle.unknown(1), None
    m = _CELL.match(text)
    if m:
        return puzzle.known(int(m.group(1))), float(m.group(2))
    return puzzle.known(int(text)), None


def _check(puzzle: Puzzle, hidden: list[int], what: str) -> None:
    for cell, (lo, hi) in puzzle.ranges(hidden).items():
        assert hi - lo + 1 >= K, f"{what}: a hidden cell is between {lo} and {hi}"


def attack_table_one(frame: pd.DataFrame, n: int) -> int:
    hidden_total = 0
    for variable, part in frame.groupby("variable", sort=False):
        p = Puzzle()
        levels = part.loc[part["level"] != "Missing", "Overall"].tolist()
        missing = part.loc[part["level"] == "Missing", "Overall"].tolist()
        cells = [_read(p, t) for t in levels]
        answered = [c for c, _ in cells]
        extra = [p.known(int(missing[0]))] if missing else []
        p.sum_is(answered + extra, n)
        for cell, percent in cells:
            if percent is not None:
                p.percent_is(cell, answered, percent)
        hidden = [c for (c, _), t in zip(cells, levels) if t == MARKER]
        _check(p, hidden, f"Table 1 {variable}")
        hidden_total += len(hidden)
    return hidden_total


def attack_frequency_table(frame: pd.DataFrame, sums: dict) -> int:
    hidden_total = 0
    for group, part in frame.groupby("group", sort=False):
        p = Puzzle()
        cells = []
        for n, pct in zip(part["n"], part["percent"]):
            if n == MARKER:
                cells.append((p.unknown(1), None))
            else:
                cells.append((p.known(int(n)), float(pct.rstrip("%"))))
        ids = [c for c, _ in cells]
        p.sum_is(ids, int(part["denominator"].iloc[0]))
        for cell, percent in cells:
            if percent is not None:
                p.percent_is(cell, ids, percent)
        for levels, total in sums.get(group, []):  # published in the prose
            p.sum_is([ids[list(part["label"]).index(lvl)] for lvl in levels], total)
        hidden = [c for c, (n) in zip(ids, part["n"]) if n == MARKER]
        _check(p, hidden, f"frequency table {group}")
        hidden_total += len(hidden)
    return hidden_total


def attack_cross_tab(frame: pd.DataFrame, overall_from_figure: dict) -> int:
    heads = [c for c in frame.columns if "(n = " in c]
    size = {c: int(re.search(r"\(n = (\d+)\)", c).group(1)) for c in heads}
    overall, groups = heads[0], heads[1:]
    no_group = size[overall] - sum(size[g] for g in groups)
    hidden_total = 0
    for _, row in frame.iterrows():
        p = Puzzle()
        total, total_pct = _read(p, row[overall])
        if row[overall] == MARKER and overall_from_figure.get(row["label"]) is not None:
            total = p.known(overall_from_figure[row["label"]])  # the figure shows what the table hides
        cells = [_read(p, row[g]) for g in groups]
        p.sums_equal([total], [c for c, _ in cells] + [p.unknown(0, no_group)])
        for (cell, percent), g in zip(cells, groups):
            p.fact({cell: 1.0}, 0, size[g])
            if percent is not None:
                p.percent_is(cell, [p.known(size[g])], percent)
        hidden = [c for (c, _), g in zip(cells, groups) if row[g] == MARKER]
        hidden += [total] if row[overall] == MARKER and row["label"] not in overall_from_figure else []
        _check(p, hidden, f"cross-tab {row['label']}")
        hidden_total += len(hidden)
    return hidden_total


# --------------------------------------------------------------------------------- the tests


def test_the_issues_table_one_is_not_undone_by_subtraction(small_cells_export):
    frame = tables.table_one_frame(small_cells_export, ["gender"], min_count=K)
    shown = frame.set_index("level")["Overall"]
    assert shown["Another gender"] == MARKER
    assert shown["Male"] == MARKER  # the complement: 409 - 353 no longer gives 3
    assert shown["Female"].startswith("353 ")
    assert attack_table_one(frame, N) == 2


def test_primary_suppression_alone_would_be_undone(small_cells_export):
    """The attacker is able to fail: on the old (primary only) table it recovers the 3."""
    frame = tables.table_one_frame(small_cells_export, ["gender"])
    frame["Overall"] = frame["Overall"].where(~frame["level"].eq("Another gender"), MARKER)
    with pytest.raises(AssertionError, match="between 3 and 3"):
        attack_table_one(frame, N)


def test_every_table_and_figure_of_a_real_data_report(small_cells_export):
    """Every count-bearing table of the report, made as the notebooks make them, with the
    figures' data and the prose's published sums as extra knowledge."""
    df = small_cells_export
    sums = {}
    for d in load_codebook().derived.values():
        label = load_codebook().label(d.source)
        sums[label] = [(list(d.events), int((df[d.name] == "Yes").sum()))]
    hidden = 0

    # 01: Table 1 (all its variables)
    hidden += attack_table_one(tables.table_one_frame(df, narrative.TABLE_ONE_COLUMNS, min_count=K), N)
    # 02: frequency table; its figure and prose use the same protection
    freq = tables.frequency_table_frame(narrative.frequency_items_table(df), min_count=K)
    hidden += attack_frequency_table(freq, sums)
    figure = disclosure.protect_frequencies(
        describe.likert_distribution(df, narrative.FREQUENCY_ITEMS), K, published_sums=disclosure.derived_sums()
    )
    assert figure["suppressed"].tolist() == (freq["n"] == MARKER).tolist()
    # 02: timing (figure + prose) and measures (figure): frequency frames as the attacker sees them
    timing = disclosure.protect_frequencies(describe.frequency_table(df, "recording_timing"), K)
    assert timing["suppressed"].sum() >= 3  # 2 and 3, and a complement
    shown_timing = tables.frequency_table_frame(timing.assign(n=timing["n"].fillna(0)), min_count=0).astype(object)
    shown_timing.loc[timing["suppressed"].to_numpy(), ["n", "percent"]] = MARKER
    shown_timing.insert(0, "group", "timing")
    hidden += attack_frequency_table(shown_timing, {})
    text = narrative.timing_summary(timing)
    assert "0.5%" not in text and "0.7%" not in text
    # 05: the cross-tab, and the figure that shows its overall column
    helps = disclosure.protect_frequencies(describe.multiple_response(df, narrative.HELP_COLUMNS), K)
    figure_overall = {
        label: (None if s else int(n)) for label, n, s in zip(helps["label"], helps["n"].fillna(0), helps["suppressed"])
    }
    cross = tables.multiple_response_by_frame(df, narrative.HELP_COLUMNS, by="patient_outcomes_often", min_count=K)
    national = cross.set_index("option").loc["helps_national_measure"]
    assert national.filter(like="Overall").iloc[0].startswith("21 ")
    assert (national.filter(like=": ") == MARKER).all()  # 17 and 4: both hidden
    hidden += attack_cross_tab(cross, {k: v for k, v in figure_overall.items() if v is not None})
    assert hidden >= 8  # gender 2, ethnicity 2, seniority 2, cross-tab 2 at least


def test_synthetic_runs_are_not_suppressed(small_cells_export):
    assert MARKER not in tables.table_one_frame(small_cells_export, ["gender"], min_count=0).to_string()


def test_complements_with_groups_in_table_one(small_cells_export):
    """A two-way Table 1 (by a grouping variable): hidden cells are safe along rows and columns."""
    frame = tables.table_one_frame(small_cells_export, ["gender", "seniority"], by="training", min_count=K)
    assert (frame == MARKER).to_numpy().sum() >= 4
    for variable, part in frame.groupby("variable", sort=False):
        p = Puzzle()
        groups = list(frame.columns[3:])
        cells = {
            (lvl, g): _read(p, part.set_index("level").loc[lvl, g])[0]
            for lvl in part["level"]
            if lvl != "Missing"
            for g in groups
        }
        levels = [lvl for lvl in part["level"] if lvl != "Missing"]
        for g in groups:
            p.sum_is(
                [cells[(lvl, g)] for lvl in levels],
                int(
                    (
                        small_cells_export[variable].notna()
                        & (
                            True
                            if g == "Overall"
                            else small_cells_export["training"].astype(object).eq(g.split(": ")[1])
                        )
                    ).sum()
                ),
            )
        for lvl in levels:
            p.sums_equal([cells[(lvl, "Overall")]], [cells[(lvl, g)] for g in groups[1:]] + [p.unknown(0, N)])
        hidden = [cells[key] for key in cells if part.set_index("level").loc[key[0], key[1]] == MARKER]
        _check(p, hidden, f"Table 1 by training, {variable}")


def test_protect_sums_needs_enough_hidden_mass():
    # 3 and 1 hidden together still pin each other to 1..3: a third cell is needed
    hidden = disclosure.protect_sums([3, 1, 0, 40, 365], K, [[0, 1, 2, 3, 4]])
    assert hidden.tolist() == [True, True, False, True, False]
    assert not disclosure.protect_sums([30, 40], K, [[0, 1]]).any()


# --------------------------------------------------------------------------------- a whole build

_SMALL_SHOWN = re.compile(r"(?<![\d.,])([1-4])(?: of [\d,]+)? \(\d+\.\d%\)|(?<![\d.,])([1-4])/\d{2,}")


@pytest.mark.slow
def test_a_real_data_build_shows_no_small_count(small_cells_file, tmp_path):
    """The whole report on the small-cells export: no table, figure label or sentence of any
    chapter shows a count of 1-4 ('3 (0.7%)', '3/349'), and the issue's cells are hidden."""
    import nbformat

    data = small_cells_file
    out = tmp_path / "out"
    build_command(data, out)
    shown = []
    for path in sorted((out / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                data_ = output.get("data", {})
                shown += [
                    (path.name, str(data_.get(kind, ""))) for kind in ("text/html", "text/markdown", "text/plain")
                ]
                shown.append((path.name, str(output.get("text", ""))))
    leaks = [(name, m.group(0)) for name, text in shown for m in _SMALL_SHOWN.finditer(text)]
    assert not leaks, leaks[:5]
    one = next(
        text
        for name, text in shown
        if name == "01_data.ipynb" and "Another gender" in text and '<div id="tbl-one' in text
    )
    assert one.count(MARKER) >= 2
    assert not (out / ".build" / "cache").exists()  # the microdata cache is gone after the build


def test_the_build_scan_finds_unprotected_small_counts(small_cells_export):
    """The slow build test's scan can fail: an unprotected Table 1 trips it."""
    html = tables.table_one(small_cells_export, ["gender"], min_count=0).as_raw_html()
    assert _SMALL_SHOWN.search(html)
    assert not _SMALL_SHOWN.search(tables.table_one(small_cells_export, ["gender"], min_count=K).as_raw_html())


def test_the_prose_hides_small_counts_as_the_tables_do(small_cells_export):
    from helpers.present import prose

    assert prose.count_of(3, 409, min_count=K) == f"{MARKER} of 409 (a suppressed count)"
    assert prose.count_of(406, 409, min_count=K).startswith(MARKER)  # 409 - 406 = 3
    assert prose.count_of(406, 409, min_count=K, both_sides=False) == "406 of 409 (99.3%)"
    assert prose.count_of(3, 409) == "3 of 409 (0.7%)"  # synthetic runs: nothing hidden
    assert _SMALL_SHOWN.search(prose.count_of(3, 409)) and not _SMALL_SHOWN.search(prose.count_of(3, 409, min_count=K))
    df = small_cells_export.copy()
    df["captures_qualitative"] = pd.Categorical(["Yes"] * 2 + ["No"] * (len(df) - 2), categories=["No", "Yes"])
    measures = describe.multiple_response(df, narrative.MEASURE_COLUMNS)
    assert "2 of 409" in narrative.measures_summary(df, measures)
    assert "2 of 409" not in narrative.measures_summary(df, measures, K)
