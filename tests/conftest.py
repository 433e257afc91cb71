"""Shared fixtures. Keep this file generic: fixtures that several test modules need.

`valid_frame` is a small canonical survey (60 respondents) built from the codebook alone, by a
fixed hash of (column, row) (no RNG), so tests need not wait for the synthetic data file.
It covers every level of every variable, respects the skip logic and the exclusive option, and
has a few missing answers (still >= helpers.validate.MIN_COMPLETE_ROWS complete rows).
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from helpers.data.codebook import Codebook, load_codebook

# the costliest units of work first (make test on every core); make unit-costs measures them
from _unit_order import pytest_addoption, pytest_collection_modifyitems, pytest_configure  # noqa: F401

VALID_ROWS = 60


def _pick(name: str, i: int, k: int) -> int:
    """A well-mixed, fixed choice among k levels for respondent i (no RNG: same everywhere)."""
    return int.from_bytes(hashlib.sha256(f"{name}:{i}".encode()).digest()[:8], "big") % k


def build_valid_frame(n: int = VALID_ROWS, codebook: Codebook | None = None) -> pd.DataFrame:
    """A canonical frame (codebook columns in order, then the derived ones) of `n` respondents."""
    cb = codebook or load_codebook()
    rows = []
    for i in range(n):
        row: dict[str, object] = {}
        for j, v in enumerate(cb.variables.values()):
            if v.type == "id":
                row[v.name] = f"R{i + 1:03d}"
                continue
            row[v.name] = v.levels[_pick(v.name, i, len(v.levels))]
        # Skip logic: the measures only for users of measures, timing only for recorders.
        if row["uses_outcome_measures"] == "No":
            for m in cb.option_set("measures"):
                row[m] = None
        if row["patient_outcome_freq"] == "Never":
            row["recording_timing"] = None
        # "Nothing would help" is exclusive: ticked alone, or not at all.
        helps = cb.option_set("helps")
        if i % 9 == 4:
            for h in helps:
                row[h] = "No"
            row["helps_none"] = "Yes"
        else:
            row["helps_none"] = "No"
        if i == 41:  # one respondent skipped the whole question
            for h in helps:
                row[h] = None
        # A few unanswered demographics ("Prefer not to say").
        if i in (4, 29):
            row["gender"] = None
        if i == 11:
            row["ethnicity"] = None
        rows.append(row)
    df = pd.DataFrame(rows)
    out = {}
    for v in cb.variables.values():
        if v.type == "id":
            out[v.name] = pd.Series(df[v.name].to_numpy(), dtype="str")
        else:
            out[v.name] = pd.Series(pd.Categorical(df[v.name].to_numpy(), dtype=v.dtype()))
    frame = pd.DataFrame(out)
    for d in cb.derived.values():
        source = frame[d.source]
        yes = source.isin(d.events).map({True: "Yes", False: "No"}).astype(object)
        yes[source.isna()] = None
        frame[d.name] = pd.Categorical(yes.to_numpy(), dtype=pd.CategoricalDtype(["No", "Yes"]))
    return frame


def to_codes(frame: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """The codebook columns of `frame` as numeric codes (first code of each level), NA kept."""
    cb = codebook or load_codebook()
    out = {}
    for v in cb.variables.values():
        if v.name not in frame:
            continue
        if v.type == "id":
            out[v.name] = frame[v.name].astype(object)
            continue
        code_of = {}
        for code, level in sorted(v.codes.items()):
            code_of.setdefault(level, code)
        out[v.name] = frame[v.name].astype(object).map(code_of).astype("Int64")
    return pd.DataFrame(out)


def confirm_codes(data_file, text: str = '"*": codebook\n'):
    """Write the codes file of `data_file` (default: the codebook's codes are its codes)."""
    from helpers.data.codemap import codes_file

    path = codes_file(data_file)
    path.write_text(text, encoding="utf-8")
    return path


def labels_only(frame: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """The codebook columns of `frame` as plain text labels (what a CSV of labels holds)."""
    cb = codebook or load_codebook()
    return pd.DataFrame({n: frame[n].astype(object) for n in cb.names if n in frame})


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    return load_codebook()


@pytest.fixture
def valid_frame() -> pd.DataFrame:
    return build_valid_frame()


@pytest.fixture
def valid_csv(tmp_path, valid_frame):
    """A valid CSV of text labels (codebook columns only), in a temporary folder."""
    path = tmp_path / "survey_valid.csv"
    labels_only(valid_frame).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def _kept_preload():
    """The test session's shared preload processes (reportbuild.preload.kept_server): stopped at
    the end of the session."""
    from reportbuild import preload

    yield
    preload.close_kept()


@pytest.fixture(scope="module")
def shared_preload(_kept_preload):
    """Builds in this module fork their kernels from the session's preload process instead of
    starting one each (or a fresh interpreter per notebook): the same kernels, paid for once.
    Tests of how the build starts kernels do not use it."""
    from reportbuild import preload

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(preload, "SHARING", True)
        yield
