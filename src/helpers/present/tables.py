"""Publication tables (great_tables) built from the tidy frames, plus their plain-frame versions.

Every ``xxx(...)`` table function returns a ``great_tables.GT`` (notebooks display it); the
matching ``xxx_frame(...)`` returns the plain DataFrame behind it (tests, CSV export). The HTML
is a single plain ``<table>`` (thead/tbody, spanners, row groups; no nested tables, no images)
with a deterministic id, so pandoc can turn it into a Typst table for the PDF and nbval sees the
same output on every run.

``min_count`` (default 0 = off) protects small counts for real-data runs (helpers.present.disclosure):
counts in 1..min_count-1, and the complementary cells from which they could be derived, are
shown as ``[c]`` together with every percentage and interval computed from them.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from great_tables import GT

from helpers.data.codebook import association_label, non_substantive_text
from helpers.present import disclosure
from helpers.stats.design import levels_of, parse_term
from helpers.analysis.describe import frequency_table, multiple_response, wilson_ci
from helpers.analysis.models import MODEL_NAMES, term_label

__all__ = [
    "format_or",
    "format_p",
    "format_percent",
    "format_count",
    "suppress_small_cells",
    "row_labels",
    "table_one",
    "table_one_frame",
    "or_table",
    "or_table_frame",
    "frequency_table_gt",
    "frequency_table_frame",
    "wald_table",
    "wald_table_frame",
    "brant_table",
    "brant_table_frame",
    "multiple_response_by",
    "multiple_response_by_frame",
    "data_dictionary",
    "data_dictionary_frame",
]

DASH = "\u2013"  # en dash in CIs: 1.53-3.42 reads as a range, never as a minus sign


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def _missing(value) -> bool:
    return value is None or (isinstance(value, (float, np.floating)) and math.isnan(value))


def _num(value: float, digits: int) -> str:
    if np.isinf(value):
        return "\u221e" if value > 0 else "-\u221e"
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def format_or(odds_ratio, conf_low, conf_high, digits: int = 2) -> str:
    """'2.29 (1.53–3.42)'; empty for missing values."""
    if any(_missing(v) for v in (odds_ratio, conf_low, conf_high)):
        return ""
    return f"{_num(odds_ratio, digits)} ({_num(conf_low, digits)}{DASH}{_num(conf_high, digits)})"


def format_p(p_value, digits: int = 3) -> str:
    """'<0.001', '0.012', '0.340'; empty for missing values."""
    if _missing(p_value):
        return ""
    threshold = 10 ** (-digits)
    if p_value < threshold:
        return f"<{threshold:.{digits}f}"
    return f"{p_value:.{digits}f}"


def format_percent(value, digits: int = 1) -> str:
    return "" if _missing(value) else f"{value:.{digits}f}%"


def format_count(n, percent, digits: int = 1) -> str:
    """'235 (57.5%)'."""
    if _missing(n):
        return ""
    if isinstance(n, str):
        return n
    return f"{int(n)} ({format_percent(percent, digits)})" if not _missing(percent) else f"{int(n)}"


# --------------------------------------------------------------------------------------------
# Small-cell suppression
# --------------------------------------------------------------------------------------------

_COUNT_PREFIX = re.compile(r"^\s*(\d+)(?:\s*/\s*\d+)?(\s*\(.*\))?\s*$")
DEPENDENT_COLUMNS = ("percent", "ci_low", "ci_high")


def suppress_small_cells(
    table_frame: pd.DataFrame,
    min_count: int,
    count_columns: Sequence[str] | None = None,
    dependent_columns: Sequence[str] | None = None,
    marker: str | None = None,
) -> pd.DataFrame:
    """Replace counts in 1..min_count-1, and values computed from them, by a marker.

    Numeric frames (describe's tidy frames): every count column (default: 'n') below the
    threshold is replaced, and so are the `dependent_columns` of the same row (default:
    percent, ci_low, ci_high). Formatted frames: any string cell of the form ``'3 (0.7%)'`` or
    ``'3/409'`` whose count is below the threshold is replaced whole. Zero counts are kept (they
    disclose nobody). ``min_count <= 1`` returns the frame unchanged. The marker defaults to
    ``'<min_count'``. No secondary suppression is attempted.
    """
    frame = table_frame.copy()
    if not min_count or min_count <= 1:
        return frame
    marker = marker if marker is not None else f"<{min_count}"
    counts = list(count_columns) if count_columns is not None else [c for c in ("n",) if c in frame.columns]
    dependents = [
        c for c in (dependent_columns if dependent_columns is not None else DEPENDENT_COLUMNS) if c in frame.columns
    ]
    if counts:
        small = np.zeros(len(frame), dtype=bool)
        for column in counts:
            values = pd.to_numeric(frame[column], errors="coerce")
            hit = ((values > 0) & (values < min_count)).fillna(False).to_numpy()
            small |= hit
            frame[column] = frame[column].astype(object)
            frame.loc[hit, column] = marker
        for column in dependents:
            frame[column] = frame[column].astype(object)
            frame.loc[small, column] = marker
    for column in frame.columns:
        if column in counts or column in dependents:
            continue
        values = frame[column]
        if not (pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype)):
            continue

        def _suppress(cell):
            if isinstance(cell, str):
                match = _COUNT_PREFIX.match(cell)
                if match and 0 < int(match.group(1)) < min_count:
                    return marker
            return cell

        frame[column] = values.astype(object).map(_suppress)
    return frame


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _table_id(prefix: str, frame: pd.DataFrame) -> str:
    # From the text the table shows (its text/plain form), never from full-precision floats:
    # last-bit differences between machines must not change the id.
    digest = hashlib.sha1(frame.to_string(index=False).encode("utf-8")).hexdigest()[:10]
    return f"{prefix}-{digest}"


class ReportTable(GT):
    """A great_tables table whose plain-text form is its data, not an object address.

    Notebooks show the HTML; nbval also compares the text/plain output, so it must be
    deterministic. great_tables' methods copy the object, so the subclass survives chaining.
    """

    def __repr__(self) -> str:
        return self._tbl_data.to_string(index=False)


def _suppression_note(gt, frame: pd.DataFrame, min_count: int):
    """Explain the marker when a table shows it."""
    if (frame.astype(object) == disclosure.MARKER).to_numpy().any():
        gt = gt.tab_source_note(disclosure.NOTE.format(k=min_count))
    return gt


def report_table(frame: pd.DataFrame, prefix: str, **kwargs) -> ReportTable:
    """A table with a deterministic id and text form (nbval compares outputs run to run)."""
    return ReportTable(frame, id=_table_id(prefix, frame), **kwargs)


_gt = report_table


def _codebook():
    from helpers.data.codebook import load_codebook

    return load_codebook()


def _label(column: str, labels: Mapping | None = None) -> str:
    if labels and column in labels:
        return labels[column]
    book = _codebook()
    return book.label(column) if book is not None else column


def row_labels(rows: pd.DataFrame, labels: Mapping | None = None) -> list[str]:
    """Display labels of tidy rows: `labels` looked up by (outcome, term), (outcome, exposure),
    term, exposure, the term's column; default the codebook label of the term."""
    out = []
    for _, row in rows.iterrows():
        term = row["term"]
        column = parse_term(term)[0]
        outcome = row.get("outcome")
        exposure = row.get("exposure", column)
        label = None
        if labels:
            for key in ((outcome, term), (outcome, exposure), term, exposure, column):
                if key in labels:
                    label = labels[key]
                    break
        if label is None:
            label = term_label(term)
        elif parse_term(term)[1] is not None and not _is_binary_yes(term):
            level = parse_term(term)[1]
            if level not in label:
                label = f"{label}: {level}"
        out.append(label)
    return out


def _is_binary_yes(term: str) -> bool:
    column, level = parse_term(term)
    book = _codebook()
    if book is not None and column in book.variables:
        return tuple(book.variables[column].levels) == ("No", "Yes") and level == "Yes"
    return level in ("Yes", "True")


def _outcome_label(outcome, labels: Mapping | None) -> str:
    if outcome is None or _missing(outcome):
        return ""
    if labels and outcome in labels:
        return labels[outcome]
    return _label(str(outcome))


# --------------------------------------------------------------------------------------------
# Table 1: sample characteristics
# --------------------------------------------------------------------------------------------


def _table_one_long(df: pd.DataFrame, columns: Sequence[str], by: str | None, labels) -> pd.DataFrame:
    groups: list[tuple[str, pd.DataFrame]] = [("Overall", df)]
    if by is not None:
        for level in levels_of(df[by]):
            groups.append((f"{_label(by, labels)}: {level}", df.loc[df[by].astype(object) == level]))
    rows = []
    for column in columns:
        for group, data in groups:
            table = frequency_table(data, column) if len(data) else None
            levels = levels_of(df[column])
            for level in levels:
                hit = table.loc[table["level"] == level] if table is not None else None
                n = int(hit["n"].iloc[0]) if hit is not None and len(hit) else 0
                denominator = int(table["denominator"].iloc[0]) if table is not None else 0
                rows.append((column, _label(column, labels), str(level), group, n, denominator))
            missing = int(data[column].isna().sum())
            if df[column].isna().any():
                rows.append((column, _label(column, labels), "Missing", group, missing, np.nan))
    long = pd.DataFrame(rows, columns=["variable", "label", "level", "group", "n", "denominator"])
    with np.errstate(invalid="ignore", divide="ignore"):
        long["percent"] = np.where(long["denominator"] > 0, 100 * long["n"] / long["denominator"], np.nan)
    return long


def table_one_frame(
    df: pd.DataFrame, columns: Sequence[str], by: str | None = None, labels: Mapping | None = None, min_count: int = 0
) -> pd.DataFrame:
    """Sample characteristics: one row per variable level, 'n (%)' per group ('Overall' first).

    Percentages are of those who answered the item (missing answers are excluded from the
    denominator and shown, as a count, on a 'Missing' row when there are any).
    """
    long = _table_one_long(df, list(columns), by, labels)
    long["cell"] = [
        format_count(n, p) if level != "Missing" else str(int(n))
        for n, p, level in zip(long["n"], long["percent"], long["level"])
    ]
    wide = long.pivot_table(
        index=["variable", "label", "level"], columns="group", values="cell", aggfunc="first", sort=False
    )
    group_order = list(dict.fromkeys(long["group"]))
    wide = wide[group_order].reset_index()
    order = {c: i for i, c in enumerate(columns)}
    wide["_v"] = wide["variable"].map(order)
    wide = wide.sort_values("_v", kind="stable").drop(columns="_v").reset_index(drop=True)
    wide.columns.name = None
    if min_count and min_count > 1:
        hidden = long.loc[_table_one_hidden(long, min_count)]
        for variable, level, group in zip(hidden["variable"], hidden["level"], hidden["group"]):
            wide.loc[(wide["variable"] == variable) & (wide["level"] == level), group] = disclosure.MARKER
    return wide


def _table_one_hidden(long: pd.DataFrame, k: int) -> np.ndarray:
    """Rows of the long Table 1 frame to hide. Per variable, the levels of each group sum to the
    group's denominator (group size minus its 'Missing' row, both shown), and with groups each
    level's Overall count is the sum of its group counts plus up to the number of respondents
    of no group (the grouping variable unanswered). Missing rows are shown: they are no answer,
    and the percentages give the denominators away anyway."""
    mask = np.zeros(len(long), dtype=bool)
    for _, part in long.groupby("variable", sort=False):
        part = part.loc[part["level"] != "Missing"]
        where = part.index.to_numpy()
        counts = part["n"].astype(int).to_numpy()
        groups = list(dict.fromkeys(part["group"]))
        index = {(lvl, g): i for i, (lvl, g) in enumerate(zip(part["level"], part["group"]))}
        levels = list(dict.fromkeys(part["level"]))
        by_group = {g: [index[(lvl, g)] for lvl in levels] for g in groups}
        overall, others = groups[0], groups[1:]
        no_group = sum(counts[by_group[overall]]) - sum(counts[by_group[g]].sum() for g in others)

        def facts(puzzle, cells):
            for g in groups:
                puzzle.sum_is([cells[i] for i in by_group[g]], int(counts[by_group[g]].sum()))
            if others:
                for lvl in levels:
                    extra = puzzle.unknown(0, no_group)
                    puzzle.sums_equal(
                        [cells[index[(lvl, overall)]]], [cells[index[(lvl, g)]] for g in others] + [extra]
                    )

        def neighbours(i):
            lvl, g = part["level"].iloc[i], part["group"].iloc[i]
            return [j for j in range(len(part)) if part["level"].iloc[j] == lvl or part["group"].iloc[j] == g]

        hidden = disclosure.protect(counts, k, facts, neighbours=neighbours)
        mask[np.searchsorted(long.index.to_numpy(), where[hidden])] = True
    return mask


def table_one(
    df: pd.DataFrame,
    columns: Sequence[str],
    by: str | None = None,
    labels: Mapping | None = None,
    min_count: int = 0,
    title: str | None = None,
) -> GT:
    """Table 1 as a GT: variables as row groups, levels as rows, 'n (%)' per group."""
    frame = table_one_frame(df, columns, by, labels, min_count).drop(columns="variable")
    totals = {"Overall": f"Overall (n = {len(df)})"}
    if by is not None:
        for level in levels_of(df[by]):
            name = f"{_label(by, labels)}: {level}"
            totals[name] = f"{name} (n = {int((df[by].astype(object) == level).sum())})"
    gt = _gt(frame, "tbl-one", rowname_col="level", groupname_col="label")
    gt = gt.cols_label(**{k: v for k, v in totals.items() if k in frame.columns})
    gt = gt.tab_source_note(
        "n (%) of respondents who answered each item; missing answers are excluded from the percentages."
    )
    gt = _suppression_note(gt, frame, min_count)
    if title:
        gt = gt.tab_header(title=title)
    return gt


# --------------------------------------------------------------------------------------------
# Odds-ratio table (Models 1-3 side by side)
# --------------------------------------------------------------------------------------------


def _reference_level(column: str, reference_levels: Mapping | None):
    if reference_levels and column in reference_levels:
        return reference_levels[column]
    book = _codebook()
    if book is not None and column in book.variables and book.variables[column].levels:
        return book.variables[column].levels[0]
    return None


def or_table_frame(
    tidy: pd.DataFrame,
    labels: Mapping | None = None,
    reference_levels: Mapping | None = None,
    digits: int = 2,
) -> pd.DataFrame:
    """Odds ratios (95% CI) and p-values of Models 1-3 side by side, one row per term.

    `tidy`: a (stack of) :func:`helpers.analysis.models.sequential` frame(s) restricted to the terms to
    show (usually :func:`helpers.analysis.models.exposure_rows`). Columns: outcome (label), label, then
    'Model k OR (95% CI)' and 'Model k p' for each model present, and n. A categorical
    exposure with several non-reference levels gets a reference row '1.00 (ref)' first; the
    reference level comes from `reference_levels` or the codebook.
    """
    rows = tidy.reset_index(drop=True)
    if "model" not in rows.columns:
        rows["model"] = "Model 1"
    if "outcome" not in rows.columns:
        rows["outcome"] = None
    rows = rows.loc[(rows["term"] != "(Intercept)") & ~rows["term"].str.contains(r"\|", regex=True)]
    models = [m for m in MODEL_NAMES if m in set(rows["model"])] + sorted(set(rows["model"]) - set(MODEL_NAMES))
    keys = list(dict.fromkeys(zip(rows["outcome"], rows["term"])))
    first = rows.drop_duplicates(subset=["outcome", "term"]).set_index(["outcome", "term"])
    label_of = dict(zip(first.index, row_labels(first.reset_index(), labels)))
    out = []
    done_reference = set()
    for outcome, term in keys:
        column, level = parse_term(term)
        sub = rows.loc[(rows["outcome"].astype(object) == outcome) | (rows["outcome"].isna() & (outcome is None))]
        sub = sub.loc[sub["term"] == term]
        n_values = sorted(set(sub["n"]))
        siblings = [t for (o, t) in keys if o == outcome and parse_term(t)[0] == column]
        if level is not None and len(siblings) > 1 and (outcome, column) not in done_reference:
            reference = _reference_level(column, reference_levels)
            if reference is not None:
                ref = {
                    "outcome": _outcome_label(outcome, labels),
                    "label": f"{_label(column, labels)}: {reference} (ref)",
                }
                for model in models:
                    ref[f"{model} OR (95% CI)"] = "1.00 (ref)"
                    ref[f"{model} p"] = ""
                ref["n"] = ", ".join(str(v) for v in n_values)
                out.append(ref)
            done_reference.add((outcome, column))
        row = {"outcome": _outcome_label(outcome, labels), "label": label_of[(outcome, term)]}
        for model in models:
            hit = sub.loc[sub["model"] == model]
            if len(hit):
                r = hit.iloc[0]
                text = format_or(r["odds_ratio"], r["conf_low"], r["conf_high"], digits)
                if "method" in hit.columns and r["method"] == "firth":
                    text += "\u2020"
                row[f"{model} OR (95% CI)"] = text
                row[f"{model} p"] = format_p(r["p_value"])
            else:
                row[f"{model} OR (95% CI)"] = ""
                row[f"{model} p"] = ""
        row["n"] = ", ".join(str(v) for v in n_values)
        out.append(row)
    frame = pd.DataFrame(out)
    # Keep each outcome's rows together (row groups), outcomes in order of first appearance.
    order = {o: i for i, o in enumerate(dict.fromkeys(frame["outcome"]))}
    frame["_o"] = frame["outcome"].map(order)
    return frame.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def or_table(
    tidy: pd.DataFrame,
    labels: Mapping | None = None,
    reference_levels: Mapping | None = None,
    title: str | None = None,
    digits: int = 2,
) -> GT:
    """The odds-ratio table as a GT: a spanner per model over 'OR (95% CI)' and 'p'."""
    frame = or_table_frame(tidy, labels, reference_levels, digits)
    models = [c[: -len(" OR (95% CI)")] for c in frame.columns if c.endswith(" OR (95% CI)")]
    several_outcomes = frame["outcome"].nunique() > 1 or (frame["outcome"] != "").all()
    gt_frame = frame if several_outcomes else frame.drop(columns="outcome")
    gt = _gt(gt_frame, "tbl-or", rowname_col="label", groupname_col="outcome" if several_outcomes else None)
    for model in models:
        gt = gt.tab_spanner(label=model, columns=[f"{model} OR (95% CI)", f"{model} p"])
    gt = gt.cols_label(
        **{f"{m} OR (95% CI)": "OR (95% CI)" for m in models},
        **{f"{m} p": "p" for m in models},
    )
    note = (
        "Model 1: unadjusted. Model 2: adjusted for demographics. Model 3: adjusted for "
        "demographics, job and training. All models of a row share one complete-case sample (n)."
    )
    if "method" in tidy.columns and (tidy["method"] == "firth").any():
        note += " \u2020 Firth penalised likelihood (separation); profile-likelihood CI."
    gt = gt.tab_source_note(note)
    if title:
        gt = gt.tab_header(title=title)
    return gt


# --------------------------------------------------------------------------------------------
# Frequencies
# --------------------------------------------------------------------------------------------


def frequency_table_frame(
    freq: pd.DataFrame,
    label_column: str | None = None,
    group_column: str | None = None,
    min_count: int = 0,
    digits: int = 1,
) -> pd.DataFrame:
    """A tidy frequency frame formatted: [group], label, n, denominator, %, 95% CI.

    `freq`: :func:`helpers.analysis.describe.frequency_table`, :func:`~helpers.analysis.describe.multiple_response`,
    :func:`~helpers.analysis.describe.likert_distribution` output or a stack of them. Labels from
    `label_column` (default 'label', else 'level'); rows grouped by `group_column` if given (or
    'item' when present together with 'level').
    """
    frame = freq.copy()
    if label_column is None:
        label_column = (
            "level"
            if ("item" in frame.columns and "level" in frame.columns)
            else ("label" if "label" in frame.columns else "level")
        )
    if group_column is None and "item" in frame.columns and label_column == "level":
        group_column = "label" if "label" in frame.columns else "item"
    if "ci_low" not in frame.columns and {"n", "denominator"} <= set(frame.columns):
        frame["ci_low"], frame["ci_high"] = wilson_ci(frame["n"].to_numpy(), frame["denominator"].to_numpy())
    out = pd.DataFrame({"label": frame[label_column].astype(str).to_numpy()})
    if group_column is not None:
        out.insert(0, "group", frame[group_column].astype(str).to_numpy())
    out["n"] = frame["n"].astype(int).to_numpy()
    out["denominator"] = frame["denominator"].astype(int).to_numpy()
    out["percent"] = [format_percent(v, digits) for v in frame["percent"]]
    out["95% CI"] = [
        "" if _missing(lo) or _missing(hi) else f"{lo:.{digits}f}{DASH}{hi:.{digits}f}"
        for lo, hi in zip(frame["ci_low"], frame["ci_high"])
    ]
    if min_count and min_count > 1:
        hidden = disclosure.protect_frequencies(freq, min_count, published_sums=disclosure.derived_sums())["suppressed"]
        for column in ("n", "percent", "95% CI"):
            out[column] = disclosure.hide(out[column].astype(object), hidden.to_numpy())
    return out


def frequency_table_gt(
    freq: pd.DataFrame,
    label_column: str | None = None,
    group_column: str | None = None,
    min_count: int = 0,
    title: str | None = None,
    label_header: str = "",
) -> GT:
    """A frequency table as a GT (n, denominator, % and Wilson 95% CI)."""
    frame = frequency_table_frame(freq, label_column, group_column, min_count)
    has_group = "group" in frame.columns
    gt = _gt(frame, "tbl-freq", rowname_col="label", groupname_col="group" if has_group else None)
    gt = gt.cols_label(n="n", denominator="Denominator", percent="%")
    if label_header:
        gt = gt.tab_stubhead(label=label_header)
    gt = gt.tab_source_note("Percentages of respondents asked who answered; Wilson 95% confidence intervals.")
    gt = _suppression_note(gt, frame, min_count)
    if title:
        gt = gt.tab_header(title=title)
    return gt


def multiple_response_by_frame(
    df: pd.DataFrame,
    columns: Sequence[str],
    by: str,
    labels=None,
    population=None,
    min_count: int = 0,
) -> pd.DataFrame:
    """Options of a tick-all question (rows) by the levels of `by` (columns): 'n (%)' of those
    asked in each group, options in the overall order (most ticked first)."""
    overall = multiple_response(df, columns, labels=labels, population=population)
    out = overall[["option", "label"]].copy()
    out["Overall"] = [format_count(n, p) for n, p in zip(overall["n"], overall["percent"])]
    counts, denominators, names = [], [], []
    for level in levels_of(df[by]):
        sub = df.loc[df[by].astype(object) == level]
        if population is not None:
            from helpers.analysis.describe import in_population

            sub = in_population(df, population).loc[lambda d: d[by].astype(object) == level]
        table = multiple_response(sub, columns, labels=labels, sort=False).set_index("option")
        name = f"{_label(by)}: {level} (n = {int(table['denominator'].iloc[0])})"
        out[name] = [format_count(table.loc[o, "n"], table.loc[o, "percent"]) for o in out["option"]]
        counts.append([int(table.loc[o, "n"]) for o in out["option"]])
        denominators.append(int(table["denominator"].iloc[0]))
        names.append(name)
    if min_count and min_count > 1:
        # The overall counts are also in the report's figure of the same question: hide them
        # only when small (as the figure does), and protect each row's split between groups.
        overall_hidden = disclosure.primary(overall["n"], min_count)
        out["Overall"] = disclosure.hide(out["Overall"], overall_hidden)
        no_group = int(overall["denominator"].iloc[0]) - sum(denominators)
        totals = [int(n) for n in overall["n"]]
        matrix = np.array(counts, dtype=int).T
        hidden = disclosure.protect_rows(matrix, totals, [no_group] * len(totals), min_count, overall_hidden)
        for j, name in enumerate(names):
            out[name] = disclosure.hide(out[name], hidden[:, j])
    out = out.rename(columns={"Overall": f"Overall (n = {int(overall['denominator'].iloc[0])})"})
    return out


def multiple_response_by(
    df: pd.DataFrame,
    columns: Sequence[str],
    by: str,
    labels=None,
    population=None,
    min_count: int = 0,
    title: str | None = None,
) -> GT:
    frame = multiple_response_by_frame(df, columns, by, labels, population, min_count).drop(columns="option")
    gt = _gt(frame, "tbl-mr", rowname_col="label")
    gt = gt.tab_source_note("n (%) of respondents asked in each group; respondents could tick several options.")
    gt = _suppression_note(gt, frame, min_count)
    if title:
        gt = gt.tab_header(title=title)
    return gt


# --------------------------------------------------------------------------------------------
# Test tables: Wald and Brant
# --------------------------------------------------------------------------------------------


def _analysis_label(outcome, exposure, labels: Mapping | None) -> str:
    """'Exposure label → outcome label' for a group of test rows (`labels` keyed by exposure wins)."""
    if labels and exposure in labels:
        return labels[exposure]
    if exposure is None or _missing(exposure):
        return _outcome_label(outcome, labels)
    return association_label(_label(str(exposure), labels), _outcome_label(outcome, labels))


def _test_term_label(term: str) -> str:
    """'Omnibus', 'Omnibus without Gender: Another gender', or the term's label."""
    if term.startswith("Omnibus without "):
        left_out = term.removeprefix("Omnibus without ").split(", ")
        return "Omnibus without " + ", ".join(_test_term_label(t) for t in left_out)
    if term == "Omnibus":
        return term
    return term_label(term) if "[" in term else _label(term)


def _test_frame(frame: pd.DataFrame, labels: Mapping | None) -> pd.DataFrame:
    out = pd.DataFrame()
    keys = [c for c in ("outcome", "exposure") if c in frame.columns]
    if keys and len(frame[keys].drop_duplicates()) > 1:
        out["group"] = [_analysis_label(row.get("outcome"), row.get("exposure"), labels) for _, row in frame.iterrows()]
    if "model" in frame.columns and frame["model"].nunique() > 1:
        out["model"] = frame["model"].to_numpy()
    out["term"] = [_test_term_label(t) for t in frame["term"]]
    # A test that cannot be computed validly shows no number (helpers.analysis.brant: `computable`).
    computable = frame["computable"].to_numpy() if "computable" in frame.columns else np.ones(len(frame), bool)
    out["chi2"] = [f"{v:.2f}" if ok else "\u2014" for v, ok in zip(frame["chi2"], computable)]
    out["df"] = frame["df"].astype(int).to_numpy()
    out["p"] = [format_p(p) if ok else "not computable" for p, ok in zip(frame["p_value"], computable)]
    if "n" in frame.columns:
        out["n"] = frame["n"].to_numpy()
    return out.reset_index(drop=True)


def wald_table_frame(frame: pd.DataFrame, labels: Mapping | None = None) -> pd.DataFrame:
    """Joint Wald tests (:func:`helpers.analysis.models.wald_test_terms` output, possibly stacked)."""
    return _test_frame(frame, labels)


def brant_table_frame(frame: pd.DataFrame, labels: Mapping | None = None) -> pd.DataFrame:
    """Brant tests (:func:`helpers.analysis.brant.brant_test` output, possibly stacked)."""
    return _test_frame(frame, labels)


def _chi2_test_table(out: pd.DataFrame, prefix: str, note: str, title: str | None) -> GT:
    """A table of chi-square tests (one row per term, grouped by analysis) with a note on the test."""
    group = "group" if "group" in out.columns else None
    gt = _gt(out, prefix, rowname_col="term", groupname_col=group).cols_label(chi2="\u03c7\u00b2", p="p")
    gt = gt.tab_source_note(note)
    if title:
        gt = gt.tab_header(title=title)
    return gt


def wald_table(frame: pd.DataFrame, labels: Mapping | None = None, title: str | None = None) -> GT:
    return _chi2_test_table(
        wald_table_frame(frame, labels), "tbl-wald", "Joint Wald test that all terms of the variable are zero.", title
    )


def brant_table(frame: pd.DataFrame, labels: Mapping | None = None, title: str | None = None) -> GT:
    note = (
        "Brant (1990) Wald test of equal slopes across the cumulative splits; "
        "a small p-value means the proportional-odds assumption fails for that term."
    )
    reasons = sorted({r.removeprefix("not computable: ") for r in frame.get("reason", pd.Series(dtype=str)) if r})
    if reasons:
        note += (
            " Not computable (no number shown): "
            + "; ".join(reasons)
            + "; such a term is left out of the 'Omnibus without' row."
        )
    return _chi2_test_table(brant_table_frame(frame, labels), "tbl-brant", note, title)


# --------------------------------------------------------------------------------------------
# Data dictionary
# --------------------------------------------------------------------------------------------


def _non_substantive(choices: Mapping) -> str:
    """The coding of non-substantive answers: 'missing' when all are, else each named."""
    if all(level is None for level in choices.values()):
        return "missing" if choices else ""
    return non_substantive_text(dict(choices))


def data_dictionary_frame(codebook=None) -> pd.DataFrame:
    """Every codebook variable: name, label, role, type, levels (reference first), how its
    non-substantive answers ("Don't know", ...) are coded, skip logic, definition."""
    book = codebook if codebook is not None else _codebook()
    rows = []
    for v in book.variables.values():
        rows.append(
            {
                "name": v.name,
                "label": v.label,
                "role": v.role + (f" ({v.group})" if v.group else ""),
                "type": v.type,
                "levels": ", ".join(v.levels),
                "non-substantive": _non_substantive(v.non_substantive),
                "asked if": v.asked_if or "",
                "definition": v.definition,
            }
        )
    for d in book.derived.values():
        rows.append(
            {
                "name": d.name,
                "label": d.label,
                "role": "outcome (derived)",
                "type": "binary",
                "levels": "No, Yes",
                "non-substantive": "",
                "asked if": "",
                "definition": d.definition,
            }
        )
    return pd.DataFrame(rows)


def data_dictionary(codebook=None, title: str | None = None) -> GT:
    frame = data_dictionary_frame(codebook)
    gt = _gt(frame, "tbl-dict", rowname_col="name")
    if title:
        gt = gt.tab_header(title=title)
    return gt
