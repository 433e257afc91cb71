"""A second real-shaped SPSS export with small cells in many places at once (for the disclosure
attack on a rendered report): ethnicity and employer type small together, a level of exactly
min_cell_count, a level with 0, a gender level small only within one group of a cross-tab,
'what would help' options ticked by few, and missing answers that change the denominators."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bad_inputs.make_corpus import real_shaped, write_sav
from conftest import build_valid_frame

N = 409


def _set(frame: pd.DataFrame, column: str, counts: dict, rows=None) -> None:
    """Exactly these counts; the rows shuffled (a fixed seed) so that levels and missing answers
    of different columns do not line up."""
    rows = frame.index if rows is None else rows
    rows = pd.Index(rows).to_series().sample(frac=1, random_state=sum(map(ord, column))).index
    values = [level for level, n in counts.items() for _ in range(n)]
    values += [None] * (len(rows) - len(values))
    frame.loc[rows, column] = pd.Categorical(values, dtype=frame[column].dtype)


def frame() -> pd.DataFrame:
    f = build_valid_frame(N)
    _set(f, "gender", {"Female": 350, "Male": 55, "Another gender": 1})  # 3 missing
    _set(f, "ethnicity", {"White": 340, "Asian or Asian British": 40, "Black or Black British": 3, "Mixed or other": 5})
    _set(f, "employer_type", {"PCN or GP practice": 250, "VCSE organisation": 150, "Local authority": 2, "Other": 0})
    _set(f, "seniority", {"Link worker": 390, "Senior or lead link worker": 12, "Manager or coordinator": 7})
    # years in role: the smallest level (6 overall) has few in one training group only
    order = f.sort_values("training", kind="stable").index
    _set(
        f, "years_in_role", {"Under 1 year": 6, "1-2 years": 120, "3-4 years": 150, "5 years or more": 133}, rows=order
    )
    often = f["patient_outcomes_often"].astype(object).eq("Yes")
    answered = f["helps_none"].astype(object).eq("No")
    for option, (in_often, in_rest) in {
        "helps_national_measure": (9, 2),
        "helps_feedback_on_use": (3, 1),
        "helps_training": (5, 0),
    }.items():
        f[option] = f[option].astype(object).where(~answered, "No")
        ticks = list(f.index[answered & often][:in_often]) + list(f.index[answered & ~often][:in_rest])
        f.loc[ticks, option] = "Yes"
        f[option] = pd.Categorical(f[option], dtype=pd.CategoricalDtype(["No", "Yes"]))
    # several respondents skip the whole 'what would help' question: other denominators
    helps = [c for c in f.columns if c.startswith("helps_")]
    for i in (60, 61, 62, 63):
        for c in helps:
            f.loc[i, c] = None
    return f


def write(path: Path) -> Path:
    shaped, labels, missing = real_shaped(frame())
    return write_sav(shaped, path, labels, missing)
