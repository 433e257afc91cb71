"""The mapping report: how every raw column and every raw value of a survey export was read.

    frame = mapping_frame("data/real/survey.csv")    # one row per (column, raw value, level)
    print(mapping_text(frame, "survey.csv"))        # what `python -m helpers validate` prints

One row per raw column and distinct reading of its cells: `raw_column` (as in the file),
`variable` (codebook name; empty for a dropped column), `column_match` (exact name, alias,
name ignoring case and punctuation, dropped as platform metadata, or not in the file),
`raw_value` (the code or text in the file; "(blank)"), `value_label` (SPSS/Stata), `read_as`
(the level in the analysed frame, or "(missing)"), `reason` (how, and why a value became
missing: blank, missing code or label, non-substantive answer, not asked), `n` (rows), and
`non_substantive` (the variable's stated coding of "Don't know" and the like). Respondent ids are
counted, never listed. The counts of each column add up to the file's rows.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import paths
from helpers.data.codebook import Codebook, Variable, load_codebook, non_substantive_text
from helpers.data.codemap import codes_file, with_codes_file

COLUMNS = [
    "raw_column",
    "variable",
    "column_match",
    "raw_value",
    "value_label",
    "read_as",
    "reason",
    "n",
    "non_substantive",
]
MISSING = "(missing)"
BLANK = "(blank)"
FILE_NAME = "mapping.csv"
DEFAULT_MIN_COUNT = 5  # the report's min_cell_count default: counts below it suppressed in files


# --------------------------------------------------------------------------------------------
# Column names
# --------------------------------------------------------------------------------------------


def _column_match(raw: str, canonical: str, codebook: Codebook) -> str:
    from helpers.data.names import _fold, _squash

    if raw == canonical:
        return "exact name"
    if _fold(raw) == _fold(canonical) or _squash(raw) == _squash(canonical):
        return "name, ignoring case and punctuation"
    v = codebook.variables.get(canonical)
    for alias in v.aliases if v else ():
        if _fold(raw) == _fold(alias) or _squash(raw) == _squash(alias):
            return f"alias {alias!r}"
    return "name"  # pragma: no cover - canonical_name matched it somehow


def _dropped(raw: str, codebook: Codebook) -> str:
    name = " ".join(str(raw).split()).casefold()
    pattern = next(p for p in codebook.ignore_columns if fnmatch.fnmatchcase(name, p.casefold()))
    return f"dropped: platform metadata (ignore_columns {pattern!r})"


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


def _raw_text(value) -> str:
    from helpers.data.load import _is_missing, _number

    if _is_missing(value) or (isinstance(value, str) and value.strip() == ""):
        return BLANK
    code = _number(value) if not isinstance(value, str) else None
    return str(code) if code is not None else " ".join(str(value).split())


def _reason(how: str, value, read, final, v: Variable | None, labels, codebook: Codebook) -> str:
    from helpers.data.load import _number

    if how == "blank":
        return "blank tick box of an answered question" if final is not None else "blank"
    code = _number(value)  # a code, whether typed or text in a CSV cell
    if how == "label":
        text = "label"
    elif how == "synonym":
        text = "tick-box text"
    elif how == "value label":
        text = "value label"
    elif how == "code":
        text = f"code, confirmed in {v.codes_confirmed}" if v and v.codes_confirmed else "code, 0 = No / 1 = Yes"
    elif how == "missing label":
        text = "missing label (codebook missing.labels)"
    elif how == "missing code":
        mapped = v is not None and v.codes_confirmed and code in v.codes
        text = f"missing code ({v.codes_confirmed})" if mapped else "missing code (codebook missing.codes)"
    elif how == "non-substantive":
        answer = value if code is None else (labels or {}).get(float(code)) or (v.codes.get(code) if v else None)
        choice = read if read is not None else "missing"
        text = f"non-substantive answer {' '.join(str(answer).split())!r}: {choice} (codebook non_substantive)"
    else:  # pragma: no cover - a valid file has no unmatched values
        text = how
    if read is not None and final is None:
        text += f"; not asked ({v.asked_if} does not hold)" if v and v.asked_if else "; set missing"
    return text


def _value_rows(series: pd.Series, final: pd.Series, canonical: str, labels, codebook: Codebook) -> list[dict]:
    from helpers.data.load import _number, _spec, read_column

    v = codebook.variables.get(canonical)
    levels = list(v.levels) if v else ["No", "Yes"]
    read, _, hows = read_column(series, _spec(codebook, canonical), labels)
    # Each distinct (raw value, reading, final level) is described once and counted: a column
    # holds a handful of them, a large export hundreds of thousands of rows.
    columns = [np.asarray(pd.Series(x, dtype=object).to_numpy(), dtype=object) for x in (series, read, hows, final)]
    parts = [pd.factorize(x, use_na_sentinel=False)[0] for x in columns]
    key = np.zeros(len(series), dtype=np.int64)
    for codes in parts:
        key = key * (int(codes.max(initial=0)) + 1) + codes
    _, first, n_rows = np.unique(key, return_index=True, return_counts=True)
    counts: dict[tuple, int] = {}
    for i, k in sorted(zip(first, n_rows)):
        value, r, how, f = (x[i] for x in columns)
        f = None if pd.isna(f) else str(f)
        raw = _raw_text(value)
        code = _number(value) if not isinstance(value, str) else None
        label = labels.get(float(code), "") if labels and code is not None else ""
        row_key = (raw, label, f if f is not None else MISSING, _reason(how, value, r, f, v, labels, codebook))
        counts[row_key] = counts.get(row_key, 0) + int(k)

    def order(item):
        (raw, _, level, _), _ = item
        number = _number(raw) if raw != BLANK else None
        return (
            levels.index(level) if level in levels else len(levels),
            raw == BLANK,
            number is None,
            number if number is not None else 0,
            raw,
        )

    return [
        {"raw_value": raw, "value_label": label, "read_as": level, "reason": reason, "n": n}
        for (raw, label, level, reason), n in sorted(counts.items(), key=order)
    ]


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def mapping_frame(
    path: str | os.PathLike | None = None, codebook: Codebook | None = None, df: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The mapping report of a survey file (default: the bundled synthetic file). Loads it with
    helpers.data.load_survey first (or takes `df`, that load's result, from a caller that has
    it), so an invalid file raises SurveyValidationError."""
    from helpers.data.load import load_survey
    from helpers.data.names import canonical_name, match_columns
    from helpers.data.readers import read_raw

    base = codebook or load_codebook()
    path = Path(path) if path is not None else paths.SYNTHETIC_DATA
    df = load_survey(path, codebook=base) if df is None else df
    codebook = with_codes_file(base, path)
    raw = read_raw(path, known=lambda c: canonical_name(c, codebook) is not None or codebook.is_ignored(c))
    mapping, _, _ = match_columns(raw.frame.columns, codebook)
    rows: list[dict] = []
    for raw_name in raw.frame.columns:
        raw_name = str(raw_name)
        canonical = mapping.get(raw_name)
        if canonical is None:
            rows.append({"raw_column": raw_name, "column_match": _dropped(raw_name, codebook)})
            continue
        v = codebook.variables.get(canonical)
        head = {
            "raw_column": raw_name,
            "variable": canonical,
            "column_match": _column_match(raw_name, canonical, codebook),
        }
        if canonical in codebook.derived:
            head["column_match"] += "; derived: checked, then recomputed from " + codebook.derived[canonical].source
        series = raw.frame[raw_name]
        if v is not None and v.type == "id":
            filled = int(series.map(lambda x: _raw_text(x) != BLANK).sum())
            rows.append(
                head
                | {
                    "raw_value": "(respondent ids, not listed)",
                    "read_as": "text id",
                    "reason": "one per respondent",
                    "n": filled,
                }
            )
            continue
        choices = v.non_substantive if v is not None else codebook.non_substantive
        head["non_substantive"] = non_substantive_text(choices)
        final = df[canonical].astype(object).to_numpy()
        for r in _value_rows(series, final, canonical, raw.value_labels.get(raw_name), codebook):
            rows.append(head | r)
    for v in codebook.variables.values():
        if v.name not in mapping.values():
            rows.append(
                {
                    "variable": v.name,
                    "column_match": "not in the file",
                    "read_as": MISSING,
                    "reason": "column absent",
                    "n": len(df),
                    "non_substantive": non_substantive_text(v.non_substantive) if v.type != "id" else "",
                }
            )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["n"] = frame["n"].astype("Int64")
    return frame.fillna({c: "" for c in COLUMNS if c != "n"})


def suppressed(frame: pd.DataFrame, min_count: int) -> pd.DataFrame:
    """The frame with counts 1..min_count-1 hidden (for files and the report): every count of a
    raw column holding such a count shows disclosure.MARKER. Complementary suppression within
    the column alone is not enough: the same counts are published by other tables, which choose
    their own complements (Table 1 shows a level's missing answers, the other options of a tick-box
    question show how many skipped it), and a count shown here that another table hides gives the
    small one away by subtraction. Hiding the whole column adds nothing to what the other tables
    show. Only `n` is touched: raw values such as '3' look like counts but are codes."""
    from helpers.present import disclosure

    out = frame.copy()
    n = out["n"]
    shown = n.astype(object).where(n.notna(), "")
    if min_count and min_count > 1:
        for _, rows in out.groupby("raw_column", sort=False).groups.items():
            rows = [r for r in rows if pd.notna(n.loc[r])]
            counts = [int(n.loc[r]) for r in rows]
            if len(rows) > 1 and disclosure.primary(counts, min_count).any():
                shown.loc[rows] = disclosure.MARKER
    out["n"] = shown
    return out


def mapping_text(frame: pd.DataFrame, file: str, codes: str | None = None, codebook: Codebook | None = None) -> str:
    """The report as text: one block per raw column, one line per raw value. The codebook's
    default coding of non-substantive answers is stated once; a variable's own, where it differs."""
    default = non_substantive_text((codebook or load_codebook()).non_substantive)
    n_columns = frame["raw_column"].replace("", pd.NA).dropna().nunique()
    dropped = int(frame["column_match"].str.startswith("dropped").sum())
    lines = [
        f"{file}: how each of its {n_columns} columns was read"
        + (f" ({dropped} dropped as platform metadata)" if dropped else "")
        + (f"; codes confirmed in {codes}" if codes else ""),
        f"  non-substantive answers, unless stated for a variable: {default}",
    ]
    for (raw_column, variable), block in frame.groupby(["raw_column", "variable"], sort=False):
        first = block.iloc[0]
        own = first["non_substantive"]
        extra = f"  [non-substantive: {own}]" if own and own != default else ""
        if not variable:
            lines.append(f"  {raw_column} -> {first['column_match']}")
            continue
        lines.append(f"  {raw_column or '(no column)'} -> {variable} ({first['column_match']}){extra}")
        width = max((len(str(x)) for x in block["raw_value"]), default=0)
        for _, r in block.iterrows():
            if r["raw_value"] == "" and r["read_as"] == "":
                continue
            label = f" [{r['value_label']}]" if r["value_label"] else ""
            n = "" if pd.isna(r["n"]) else str(r["n"])
            lines.append(f"      {str(r['raw_value']).ljust(width)}{label} -> {r['read_as']}: {n} ({r['reason']})")
    return "\n".join(lines)


def write(frame: pd.DataFrame, folder: str | os.PathLike, min_count: int = 5) -> Path:
    """`folder`/mapping.csv with small counts suppressed; returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    suppressed(frame, min_count).to_csv(path, index=False, lineterminator="\n")
    return path


def codes_note(data_file: str | os.PathLike | None) -> str | None:
    """The name of the data file's codes file, when it has one."""
    if data_file is None:
        return None
    path = codes_file(data_file)
    return path.name if path.is_file() else None


def show(df: pd.DataFrame, data_file: str | None, output_dir: str | None, min_cell_count: int):
    """What the data chapter shows of the mapping: nothing for the bundled synthetic file; for
    any other file, the report as a table (small counts suppressed), also written to
    OUTPUT/mapping.csv."""
    from IPython.display import Markdown, display

    from helpers.present.prose import is_synthetic
    from helpers.present.report import output_folder
    from helpers.present.tables import report_table

    if is_synthetic(df):
        return None
    frame = mapping_frame(data_file, df=df)
    written = write(frame, output_folder(output_dir), min_cell_count)
    codes = codes_note(data_file)
    default = non_substantive_text(load_codebook().non_substantive)
    display(
        Markdown(
            f"How each column and value of `{df.attrs.get('file', 'the file')}` was read"
            + (f" (codes confirmed in `{codes}`)" if codes else "")
            + f". Non-substantive answers, unless stated for a variable: {default}. Counts below "
            f"{min_cell_count} are suppressed. Also written to `{written.name}`."
        )
    )
    shown = suppressed(frame, min_cell_count)
    groups = []
    for raw, variable, match, own in zip(
        shown["raw_column"], shown["variable"], shown["column_match"], shown["non_substantive"]
    ):
        if not variable:
            groups.append(f"{raw}: {match}")
            continue
        label = f"{raw} -> {variable} ({match})" if raw else f"{variable}: {match}"
        groups.append(label + (f"; non-substantive: {own}" if own and own != default else ""))
    shown = shown.assign(column=groups)[["column", "raw_value", "value_label", "read_as", "reason", "n"]]
    if not shown["value_label"].astype(bool).any():
        shown = shown.drop(columns="value_label")
    shown = shown.rename(
        columns={
            "raw_value": "raw value",
            "value_label": "value label",
            "read_as": "read as",
            "reason": "how, or why missing",
        }
    )
    return report_table(shown, "tbl-mapping", groupname_col="column")


# --------------------------------------------------------------------------------------------
# The command line (python -m helpers validate)
# --------------------------------------------------------------------------------------------


def cli_options(args: list[str]) -> tuple[list[str], bool, str | None]:
    """(files, --summary, --out DIR) from validate's arguments."""
    files, summary, out = [], False, None
    it = iter(args)
    for arg in it:
        if arg == "--summary":
            summary = True
        elif arg == "--out":
            out = next(it, "")
        elif arg.startswith("--out="):
            out = arg.split("=", 1)[1]
        else:
            files.append(arg)
    return files, summary, out


def _committable(folder: Path) -> bool:
    """True when `folder` is inside the repository and git does not ignore it (the build's rule,
    reportbuild.cli.ensure_private; not imported, so that no chapter depends on the build)."""
    import subprocess

    try:
        relative = folder.relative_to(paths.ROOT)
    except ValueError:
        return False
    if not (paths.ROOT / ".git").exists():
        return False
    return (
        subprocess.run(
            ["git", "check-ignore", "-q", f"{relative.as_posix()}/"], cwd=paths.ROOT, capture_output=True
        ).returncode
        != 0
    )


def print_report(data_file: str, df: pd.DataFrame, out: str | None, show: bool = True) -> int:
    """Print a valid file's mapping report; with `out`, also write OUT/mapping.csv (small counts
    suppressed for real data). Returns the exit status (2 if `out` may not hold real outputs)."""
    import sys

    from helpers.present.prose import is_synthetic

    try:
        frame = mapping_frame(data_file, df=df)
    except Exception as err:  # the file passed validation: any failure here is ours, in one line
        if os.environ.get("HELPERS_DEBUG"):
            raise
        print(
            f"{Path(data_file).name}: valid, but the mapping report failed: {type(err).__name__}: "
            f"{' '.join(str(err).split())}",
            file=sys.stderr,
        )
        return 2
    if show:
        print(mapping_text(frame, Path(data_file).name, codes_note(data_file)))
    if out is None:
        return 0
    folder = Path(out).resolve()
    if not is_synthetic(df) and _committable(folder):
        print(
            f"validate: output folder '{folder.relative_to(paths.ROOT)}' is not git-ignored: outputs of a "
            "run on survey data must not be committable; use OUT=_output_real or a folder outside "
            "the repository",
            file=sys.stderr,
        )
        return 2
    written = write(frame, folder, 0 if is_synthetic(df) else DEFAULT_MIN_COUNT)
    print(f"{Path(data_file).name}: mapping report written to {os.path.relpath(written)}")
    return 0
