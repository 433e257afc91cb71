"""Load any survey export (CSV, Excel, SPSS, Stata) into the canonical frame.

    df = load_survey()                       # the bundled synthetic file
    df = load_survey("data/real/survey.sav") # a researcher's real export

The canonical frame (ARCHITECTURE.md): one row per respondent; codebook columns in codebook order,
then the derived columns; `respondent_id` text; every other column a Categorical with the
codebook's levels (reference first, ordered for ordinal variables); missing and not-asked
answers NA. `attrs`: `source` ('synthetic' when the file's sha256 is in
data/synthetic/manifest.yaml, else 'real'), `file` (name only), `sha256`, `ignored_columns`.

How a raw export is read:
- column names: codebook name or alias, ignoring case, spaces and punctuation; columns matching
  the codebook's `ignore_columns` (platform metadata) are dropped; any other column is an error;
- answers: text labels (case and spacing ignored), numeric codes (codebook `codes`), SPSS/Stata
  value labels first when present; the codebook's `missing` labels and codes are NA;
  non-substantive answers ("Don't know", ...) become what the variable's `non_substantive` says;
- numeric codes without value labels: read through the codebook's `codes` only where that is
  the only sensible reading (0 = No, 1 = Yes); otherwise the column is refused until the codes
  are confirmed by a codes file next to the data or by the codebook (helpers.data.codemap);
- tick-all-that-apply questions: when a respondent ticked or answered any option of a question,
  the options left blank are "No" (an unticked box); ticks exported as the option's text count
  as "Yes"; options of a question the respondent was not asked (skip logic) are NA.
The file is only read. Every problem is collected and raised at once as SurveyValidationError.

A successful load is cached (key: file sha256, codebook, this code), so the notebooks of one
build do not re-read and re-check the same file: in $HELPERS_SURVEY_CACHE_DIR when set (the
build sets OUT/.build/cache, inside its output folder, and deletes it after a run on real data),
otherwise in .build/cache for the bundled synthetic data only. Real data are never cached
outside a build's output folder. HELPERS_SURVEY_CACHE=0 turns the cache off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import paths
from helpers.data.codebook import MISSING, Codebook, load_codebook
from helpers.data.memo import per_codebook
from helpers.data.names import _fold, canonical_name, match_columns
from helpers.data.codemap import needs_confirmation, unconfirmed_problem, with_codes_file
from helpers.data.checks import Problem, SurveyValidationError, Skip, check_frame, clip, parse_condition, skip_masks

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# Text that records a tick-box state in some platforms' exports (REDCap, Smart Survey).
_TICKED = ("checked", "ticked", "selected")
_UNTICKED = ("unchecked", "not checked", "unticked", "not ticked", "not selected")
_CACHE_VERSION = "1"
CACHE_ENTRIES = 16  # cached loads kept under .build/cache


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


def _number(value):
    """A code as int (or float if not whole); None if `value` is not a number."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if value != value:
            return None
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        f = float(value)
        return int(f) if f.is_integer() else f
    return None


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and value != value


@dataclass(frozen=True)
class _Spec:
    """How to read one column's answers."""

    levels: tuple[str, ...]
    codes: dict[int, str]
    text: dict[str, str]  # folded text -> level
    missing_text: frozenset[str]
    missing_codes: frozenset[int]
    non_substantive: dict[str, str | None] = None  # folded answer -> level, or None (missing)


def _spec(codebook: Codebook, name: str) -> _Spec:
    if name in codebook.variables:
        v = codebook.variables[name]
        levels, codes = v.levels, v.codes
    else:  # a derived column carried by the file
        levels, codes = ("No", "Yes"), {0: "No", 1: "Yes"}
        v = None
    text = {_fold(lvl): lvl for lvl in levels}
    non_substantive = v.non_substantive if v is not None else codebook.non_substantive
    if v is not None and v.type == "multiple":
        option = (v.question or "").rsplit("?", 1)[-1]
        for synonym in (v.label, option, *_TICKED):
            if _fold(synonym):
                text.setdefault(_fold(synonym), "Yes")
        for synonym in _UNTICKED:
            text.setdefault(_fold(synonym), "No")
    return _Spec(
        levels=tuple(levels),
        codes=dict(codes),
        text=text,
        missing_text=frozenset(_fold(m) for m in codebook.missing_labels),
        missing_codes=frozenset(codebook.missing_codes),
        non_substantive={_fold(k): lvl for k, lvl in non_substantive.items()},
    )


@per_codebook
def _specs(codebook: Codebook) -> dict[str, _Spec]:
    """The read spec of every variable and derived column (shared: read-only)."""
    return {name: _spec(codebook, name) for name in [*codebook.variables, *codebook.derived]}


# How a cell was read (the third item of read_cell; the mapping report words them).
HOW = (
    "blank",
    "label",
    "synonym",
    "non-substantive",
    "missing label",
    "missing code",
    "code",
    "value label",
    "unmatched",
)


def read_cell(value, spec: _Spec, labels: dict[float, str] | None):
    """(level | None | the unmatched value, kind, how) with kind 'label', 'code' or None
    (missing) and `how` one of HOW. An unmatched code comes back as a number, an unmatched
    label as text."""
    if _is_missing(value):
        return None, None, "blank"
    if not isinstance(value, str):
        code = _number(value)
        if code is None:  # a date or other object in a spreadsheet cell
            return str(value), "label", "unmatched"
        label = labels.get(float(code)) if labels else None
        if code in spec.missing_codes:
            # A missing code labelled as a non-substantive answer is coded as the variable says.
            if label is not None and _fold(label) in spec.non_substantive:
                return _read_text(label, spec, labels=None)
            return None, None, "missing code"
        if label is not None:
            level, kind, how = _read_text(label, spec, labels=None)
            return level, kind, "value label" if how in ("label", "synonym") else how
        text = spec.codes.get(code)
        if text is None:
            return code, "code", "unmatched"
        if text == MISSING:  # a codes file that maps the code to `missing`
            return None, None, "missing code"
        if text in spec.levels:
            return text, "code", "code"
        level, _, how = _read_text(text, spec, labels=None)  # a code of a non-substantive answer
        return level, ("code" if level is not None else None), how
    return _read_text(value, spec, labels)


def _read_text(value: str, spec: _Spec, labels):
    folded = _fold(value)
    if folded == "":
        return None, None, "blank"
    if folded in spec.text:
        level = spec.text[folded]
        return level, "label", "label" if folded == _fold(level) else "synonym"
    if folded in spec.non_substantive:  # before `missing`: the variable's own choice wins
        level = spec.non_substantive[folded]
        return level, ("label" if level is not None else None), "non-substantive"
    if folded in spec.missing_text:
        return None, None, "missing label"
    code = _number(value)
    if code is not None:
        return read_cell(code, spec, labels)
    return " ".join(value.split()), "label", "unmatched"


def _read_distinct(series: pd.Series, spec: _Spec, labels) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """(each row's index into the distinct raw values, those values, and the (values, kinds,
    hows) of each, the reading of a missing cell last, so index -1 reads as missing)."""
    # Each distinct raw value is read once (a survey column holds a handful of them).
    codes, uniques = pd.factorize(
        series if pd.api.types.is_numeric_dtype(series.dtype) else series.astype(object), use_na_sentinel=True
    )
    read = [read_cell(u, spec, labels) for u in uniques] + [read_cell(None, spec, labels)]  # code -1: missing
    columns = [np.empty(len(read), dtype=object) for _ in range(3)]
    for i, cell in enumerate(read):
        for column, value in zip(columns, cell):
            column[i] = value
    return codes, uniques, tuple(columns)


def _per_row(distinct: np.ndarray, codes: np.ndarray, series: pd.Series) -> pd.Series:
    """One reading per row of `series`, from the readings of its distinct values."""
    return pd.Series(distinct[codes], index=series.index, dtype=distinct.dtype)


def read_column(series: pd.Series, spec: _Spec, labels) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(values: levels / None / unmatched raw values, kinds, hows) for one column."""
    codes, _, columns = _read_distinct(series, spec, labels)
    return tuple(_per_row(column, codes, series) for column in columns)


def codes_read(uniques, hows: np.ndarray, codes: np.ndarray) -> dict[int, int]:
    """code -> rows, for the cells read through the code map (not value labels, not missing);
    from `_read_distinct` (each distinct raw value's code counted once, times its rows)."""
    rows = np.bincount(codes[codes >= 0], minlength=len(uniques))
    counts: dict[int, int] = {}
    for value, how, n in zip(uniques, hows, rows):
        if how == "code":
            code = _number(value)
            counts[code] = counts.get(code, 0) + int(n)
    return counts


def _label_conflict(v, labels: dict[float, str], spec: _Spec) -> Problem | None:
    """A confirmed code map that contradicts the file's own value labels (labels are read, so
    the confirmation is wrong somewhere: say so rather than pick one silently)."""
    bad = []
    for code, label in sorted(labels.items()):
        if not float(code).is_integer() or int(code) not in v.codes:
            continue
        by_label = _read_text(label, spec, labels=None)
        if by_label[2] == "unmatched":
            continue  # reported as an unknown label when it occurs
        mapped = v.codes[int(code)]
        by_map = (None,) if mapped == MISSING else _read_text(mapped, spec, labels=None)
        if by_label[0] != by_map[0]:
            bad.append(f"{int(code)}={mapped} but its value label is {label!r}")
    if not bad:
        return None
    return Problem(
        f"{v.codes_confirmed} contradicts the file's value labels ({'; '.join(bad)}): "
        f"correct {v.codes_confirmed} (value labels are read as they are)",
        (v.name,),
    )


def _text_id(value):
    if _is_missing(value):
        return None
    code = _number(value) if not isinstance(value, str) else None
    text = str(code) if code is not None else " ".join(str(value).split())
    return text or None


def _mixed_problem(name: str, values: pd.Series, kinds: pd.Series, matched: pd.Series) -> Problem | None:
    """A column of a text file holding both labels and codes (a mis-merged export).
    `values`: the raw cells; `kinds`: 'label' / 'code' / None per cell; `matched`: whether the
    cell was read as a level (unmatched cells are reported on their own)."""
    labels, codes = kinds.eq("label") & matched, kinds.eq("code") & matched
    if not (labels.any() and codes.any()):
        return None
    minority, majority = (codes, labels) if codes.sum() <= labels.sum() else (labels, codes)
    first = lambda mask: " ".join(str(values[mask].iloc[0]).split())  # noqa: E731
    example_min = clip(first(minority))
    example_maj = clip(first(majority))
    what_min = "numeric codes" if minority is codes else "text labels"
    what_maj = "text labels" if minority is codes else "numeric codes"
    return Problem(
        f"mixes {what_min} (e.g. {example_min!r}) into a column of {what_maj} (e.g. {example_maj!r}): "
        "export every column as labels, or every column as codes",
        (name,),
        tuple(values.index[minority]),
    )


# --------------------------------------------------------------------------------------------
# The canonical frame
# --------------------------------------------------------------------------------------------


def add_derived(df: pd.DataFrame, codebook: Codebook | None = None, missing_only: bool = False) -> pd.DataFrame:
    """Add (or recompute) the codebook's derived columns: Categorical No/Yes, NA where the
    source is NA. `missing_only`: a copy of `df` with only the derived columns it lacks (and
    whose source it has), `df` itself when it lacks none."""
    codebook = codebook or load_codebook()
    dtype = pd.CategoricalDtype(["No", "Yes"])
    derived = list(codebook.derived.values())
    if missing_only:
        derived = [d for d in derived if d.name not in df.columns and d.source in df.columns]
        if not derived:
            return df
        attrs = dict(df.attrs)
        df = df.copy()
        df.attrs = attrs
    for d in derived:
        source = df[d.source].astype(object)
        values = np.where(source.isin(d.events), "Yes", "No").astype(object)
        values[source.isna().to_numpy()] = None
        df[d.name] = pd.Categorical(values, dtype=dtype)
    return df


def _fill_option_sets(columns: dict[str, np.ndarray], present: set[str], codebook: Codebook) -> None:
    """Unticked boxes: within a question a respondent answered, a blank option of the file
    (`present`) is "No". Fills `columns` (object arrays, None for missing) in place."""
    sets = dict.fromkeys(v.set for v in codebook.variables.values() if v.type == "multiple" and v.set)
    for name in sets:
        options = [o for o in codebook.option_set(name) if o in present]
        if not options:
            continue
        blank = {o: pd.isna(columns[o]) for o in options}
        answered = ~np.logical_and.reduce(list(blank.values()))
        for o in options:
            columns[o][answered & blank[o]] = "No"


def _hide_not_asked(columns: dict[str, np.ndarray], codebook: Codebook) -> None:
    """Tick boxes of a question the respondent was not asked are NA, whatever the export says.
    In codebook order, each condition read from the columns as they are at that point (so a
    condition on a tick box sees it hidden); in place."""
    skips: dict[str, Skip | None] = {}  # condition -> who was asked
    for v in codebook.variables.values():
        if v.type != "multiple" or not v.asked_if:
            continue
        if v.asked_if not in skips:
            skips[v.asked_if] = skip_masks(v.asked_if, columns)
        skip = skips[v.asked_if]
        if skip is not None and skip.not_asked.any():
            columns[v.name][skip.not_asked] = None
            skips = {c: s for c, s in skips.items() if parse_condition(c)[0] != v.name}


def canonical_frame(values: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The canonical frame from a frame of codebook levels (object, None for missing)."""
    n = len(values)
    columns = {
        v.name: values[v.name].to_numpy(dtype=object, copy=True) if v.name in values else np.full(n, None, dtype=object)
        for v in codebook.variables.values()
    }
    _fill_option_sets(columns, set(values.columns), codebook)
    _hide_not_asked(columns, codebook)
    out = {}
    for v in codebook.variables.values():
        if v.type == "id":
            out[v.name] = pd.Series(columns[v.name], dtype="str")
        else:
            out[v.name] = pd.Series(pd.Categorical(columns[v.name], dtype=v.dtype()))
    return add_derived(pd.DataFrame(out), codebook)


def read_canonical(path: Path, codebook: Codebook) -> tuple[pd.DataFrame, list[str]]:
    """(canonical frame, ignored raw columns) of one file; raises SurveyValidationError."""
    from helpers.data.readers import read_raw

    name = path.name
    raw = read_raw(path, known=lambda col: canonical_name(col, codebook) is not None or codebook.is_ignored(col))
    mapping, ignored, problems = match_columns(raw.frame.columns, codebook)
    if not mapping:  # nothing to check: the wrong file
        raise SurveyValidationError(name, problems or [Problem("no codebook variables in the file")])
    specs = _specs(codebook)
    values, mixed, unconfirmed = {}, [], []
    for raw_name, canonical in mapping.items():
        series = raw.frame[raw_name]
        if canonical in codebook.variables and codebook.variables[canonical].type == "id":
            values[canonical] = series.map(_text_id).astype(object)
            continue
        spec, labels = specs[canonical], raw.value_labels.get(raw_name)
        codes, uniques, (read, kinds, hows) = _read_distinct(series, spec, labels)
        values[canonical] = _per_row(read, codes, series)
        # The per-row checks below run only when the distinct readings say they can find
        # something: most columns hold labels only, or codes only.
        p = None
        if not raw.labelled:
            matched = np.fromiter((x in spec.levels for x in read), dtype=bool, count=len(read))
            if (matched & (kinds == "label")).any() and (matched & (kinds == "code")).any():
                p = _mixed_problem(canonical, series, _per_row(kinds, codes, series), _per_row(matched, codes, series))
            if p:
                mixed.append(p)
        v = codebook.variables.get(canonical)
        if p is None and v is not None:
            codes_seen = codes_read(uniques, hows, codes)
            if needs_confirmation(v, codes_seen):
                unconfirmed.append(unconfirmed_problem(v, codes_seen, name))
        if v is not None and labels and v.codes_confirmed:
            conflict = _label_conflict(v, labels, spec)
            if conflict:
                unconfirmed.append(conflict)
    order = {n: i for i, n in enumerate([*codebook.names, *codebook.derived])}
    frame = pd.DataFrame(values, index=raw.frame.index)
    frame = frame[sorted(frame.columns, key=order.__getitem__)]
    labelled = [c for r, c in mapping.items() if r in raw.value_labels]
    if unconfirmed:  # a guessed reading would make every later check (skip logic, ...) misleading
        found = sorted(mixed + unconfirmed, key=lambda p: order[p.columns[0]])
        raise SurveyValidationError(name, problems + found)
    if len(frame) == 0:
        problems.append(Problem("no data rows (the header is there but no respondents)"))
    else:
        # Problems of the column names first, then each column's in codebook order, then the
        # file's as a whole.
        found = mixed + check_frame(frame, codebook, labelled=labelled, file_kind=raw.kind)
        problems += sorted(found, key=lambda p: order.get(p.columns[0], -1) if p.columns else len(order))
    if problems:
        raise SurveyValidationError(name, problems)
    return canonical_frame(frame, codebook), ignored


# --------------------------------------------------------------------------------------------
# Provenance and cache
# --------------------------------------------------------------------------------------------


from helpers.datafile import file_sha256, source_of  # noqa: E402  (the data file's identity)


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    h = hashlib.sha256(_CACHE_VERSION.encode())
    here = Path(__file__).resolve().parent
    for module in sorted(here.glob("*.py")):
        h.update(module.read_bytes())
    h.update(pd.__version__.encode())
    return h.hexdigest()


def cache_dir() -> Path:
    folder = os.environ.get("HELPERS_SURVEY_CACHE_DIR")
    return Path(folder) if folder else paths.ROOT / ".build" / "cache"


def _may_cache(source: str) -> bool:
    """A real file's microdata are cached only inside a build's output folder."""
    return source == "synthetic" or bool(os.environ.get("HELPERS_SURVEY_CACHE_DIR"))


def _cache_path(sha256: str, codebook: Codebook) -> Path:
    key = hashlib.sha256(f"{sha256}|{codebook!r}|{_code_fingerprint()}".encode()).hexdigest()
    return cache_dir() / f"survey-{key[:40]}.pkl"


def _cache_read(path: Path):
    try:
        with open(path, "rb") as f:
            df, ignored = pickle.load(f)
        return df, list(ignored)
    except Exception:  # absent, partial or stale: recompute
        return None


def _cache_write(path: Path, df: pd.DataFrame, ignored: list[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pkl")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump((df, ignored), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        _cache_prune(path.parent)
    except OSError:
        pass  # a read-only tree only loses the cache


def _cache_prune(folder: Path, keep: int = CACHE_ENTRIES) -> None:
    """Keep the `keep` most recently written entries (stale ones pile up as code changes)."""
    entries = sorted(folder.glob("survey-*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        try:
            old.unlink()
        except OSError:
            pass


def _cache_enabled(cache: bool | None) -> bool:
    if cache is not None:
        return cache
    return os.environ.get("HELPERS_SURVEY_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


# --------------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------------


def load_survey(
    path: str | os.PathLike | None = None,
    codebook: Codebook | None = None,
    *,
    manifest: str | os.PathLike | None = None,
    cache: bool | None = None,
) -> pd.DataFrame:
    """The canonical frame of a survey export (default: the bundled synthetic file).

    Raises SurveyValidationError (one line per problem, file name only) when the file cannot be
    read or breaks the codebook. `manifest` overrides data/synthetic/manifest.yaml; `cache`
    (default: on unless HELPERS_SURVEY_CACHE=0) reuses an earlier load of the same bytes."""
    path = Path(path) if path is not None else paths.SYNTHETIC_DATA
    # The codes file next to the data is part of the codebook for this file (and of the cache key).
    codebook = with_codes_file(codebook or load_codebook(), path)
    name = path.name
    sha = None
    if path.is_file():
        try:
            sha = file_sha256(path)
        except OSError:
            sha = None
    cached = None
    source = source_of(sha, manifest) if sha else "real"
    use_cache = sha is not None and _cache_enabled(cache) and _may_cache(source)
    if use_cache:
        cached = _cache_read(_cache_path(sha, codebook))
    if cached is not None:
        df, ignored = cached
    else:
        df, ignored = read_canonical(path, codebook)
        if use_cache:
            _cache_write(_cache_path(sha, codebook), df, ignored)
    df.attrs = {
        "source": source,
        "file": name,
        "sha256": sha,
        "ignored_columns": list(ignored),
    }
    return df
