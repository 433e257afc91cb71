"""Reproduction scorecard: one row per figure printed in the paper's abstract.

`reproduce_claims(df, targets)` recomputes every calibration target from a survey frame
(percentages over the population and denominator the target states; odds ratios by fitting the
named sequential model with `helpers.analysis.models.sequential` and picking the named term; the two
list claims by checking them). `score(claims, reproduced)` sets each published figure beside its
reproduced value and grades it with the explicit rules below; `write_claims_csv` writes the
result deterministically.

Status rules (module constants, quoted in the `rule` column of every row):

- percentage: the reproduced share rounded (half up) to the printed precision equals the printed
  value -> reproduced; off by at most PCT_MINOR_UNITS unit of the printed precision -> minor;
  otherwise major.
- odds ratio: z = (ln OR_rep - ln OR_pub) / SE_pub, SE_pub = (ln hi - ln lo) / 3.92 from the
  printed CI; CI-width ratio = (ln hi_rep - ln lo_rep) / (ln hi_pub - ln lo_pub); decision =
  whether and in which direction the 95% CI excludes 1. A decision that differs is major whatever
  else; |z| <= OR_Z_REPRODUCED and width ratio within OR_CI_WIDTH_RATIO -> reproduced;
  |z| <= OR_Z_MINOR -> minor; otherwise major.
- count: equal -> reproduced; relative difference <= COUNT_MINOR_RELATIVE -> minor; else major.
- list: every listed item holds in the data -> reproduced (null predictors: every named
  predictor's terms have p >= ALPHA and most demographic variables too; if only the
  "most demographic variables" part fails -> minor); a named item fails -> major.
- any claim whose columns are missing from the data, or whose model cannot be fitted,
  -> not computable, with the reason.

On the synthetic data this agreement is true by construction (the file was calibrated to these
figures): it checks the code path, not the paper's findings. On a real survey file it is a
genuine reproduction test.
"""

from __future__ import annotations

import csv
import io
import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any
from collections.abc import Iterable

import numpy as np
import pandas as pd

from helpers.analysis.describe import in_population
from helpers.data import published
from helpers.data.codebook import load_codebook

# --- Rules -------------------------------------------------------------------------------------
STATUSES = ("reproduced", "minor", "major", "not computable")
PCT_MINOR_UNITS = 1  # off by at most this many units of the printed precision -> minor
OR_Z_REPRODUCED = 0.25
OR_Z_MINOR = 1.0
OR_CI_WIDTH_RATIO = (0.85, 1.15)
CI_DIVISOR = 3.92  # 2 x 1.96: width of a 95% Wald CI on the log scale, in standard errors
ALPHA = 0.05
COUNT_MINOR_RELATIVE = 0.01

RULE_PERCENTAGE = (
    "percentage: rounded half up to the printed precision, equal -> reproduced; "
    f"off by <= {PCT_MINOR_UNITS} unit of that precision -> minor; else major"
)
RULE_ODDS_RATIO = (
    f"odds ratio: significance decision differs -> major; |z| <= {OR_Z_REPRODUCED} and CI-width ratio "
    f"in [{OR_CI_WIDTH_RATIO[0]}, {OR_CI_WIDTH_RATIO[1]}] -> reproduced; |z| <= {OR_Z_MINOR} -> minor; "
    f"else major (z = (ln OR_rep - ln OR_pub) / SE_pub, SE_pub = (ln hi - ln lo) / {CI_DIVISOR})"
)
RULE_COUNT = f"count: equal -> reproduced; within {COUNT_MINOR_RELATIVE:.0%} -> minor; else major"
RULE_LIST_MEASURES = "list: every named measure is used by at least one measure user -> reproduced; else major"
RULE_LIST_NULL = (
    f"list: a variable is a predictor when its joint Wald test (all its terms) has p < {ALPHA} in a "
    "stated model; each named predictor is not one in any stated model, and neither are most "
    "demographic variables -> reproduced; only the demographic majority fails -> minor; a named "
    "predictor significant -> major (single terms are shown, not judged: with several levels one "
    "of them falls below 0.05 by chance often)"
)
RULE_NONE = "not computable: the data or model needed are missing"

# Published list items of `null_predictors` -> codebook columns (or a confounder group).
NULL_PREDICTOR_ITEMS: dict[str, str | list[str]] = {
    "education": ["education"],
    "training": ["training"],
    "job seniority": ["seniority"],
    "most demographic variables": "demographics",
}

CSV_COLUMNS = [
    "claim_id",
    "kind",
    "what",
    "published",
    "decimals",
    "published_low",
    "published_high",
    "reproduced",
    "reproduced_low",
    "reproduced_high",
    "difference",
    "z",
    "ci_width_ratio",
    "decision_agrees",
    "denominator",
    "status",
    "rule",
    "reason",
    "assumptions",
]
CSV_FLOAT_FORMAT = "{:.4f}"

TRUE_BY_CONSTRUCTION = (
    "Agreement here is true by construction: the synthetic data were calibrated to these figures, "
    "so this checks the code path, not the paper's findings."
)
GENUINE_TEST = (
    "This is a genuine reproduction test: the figures below are recomputed from a survey file, "
    "not from data calibrated to the paper."
)


def _nan(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


# --- Reading the published figures and the targets -------------------------------------------------
def _records(raw: Any, key: str) -> list[dict]:
    """Normalise a YAML/DataFrame/dict of entries into a list of dicts with `key`."""
    if raw is None:
        return []
    if isinstance(raw, pd.DataFrame):
        raw = raw.astype(object).where(raw.notna(), None).to_dict("records")
    if isinstance(raw, dict):
        for name in ("claims", "targets"):
            if name in raw and isinstance(raw[name], list | dict):
                return _records(raw[name], key)
        raw = [{key: k, **(v if isinstance(v, dict) else {"value": v})} for k, v in raw.items()]
    out = []
    for entry in raw:
        entry = dict(entry)
        if key not in entry:
            entry[key] = entry.get("id", entry.get("claim_id"))
        out.append(entry)
    return out


def _claim_records(raw: Any) -> list[dict]:
    """Claims in one shape whatever their source: keys id, what, value, ci, unit, denominator."""
    claims = []
    for entry in _records(raw, "id"):
        if entry.get("ci") is None and entry.get("ci_low") is not None and not _nan(entry.get("ci_low")):
            entry["ci"] = [float(entry["ci_low"]), float(entry["ci_high"])]
        if entry.get("count_range") is None and entry.get("count_low") is not None:
            entry["count_range"] = [entry["count_low"], entry["count_high"]]
        claims.append(entry)
    return claims


def load_claims() -> list[dict]:
    """The abstract's published figures as a list of dicts (keys: id, what, value, ci, ...)."""
    return _claim_records(published.load_claims())


def load_targets() -> list[dict]:
    """The targets (data/published/targets.yaml) as a list of dicts keyed by claim_id, each odds
    ratio's outcome and model overridden by the primary specification (data/analysis_spec.yaml)."""
    raw = published.load_targets()
    if isinstance(raw, dict) and "targets" not in raw and "claims" not in raw:
        raw = {k: v for k, v in raw.items() if k != "comparisons_2023" and isinstance(v, dict)}
    from helpers.analysis.spec import analysis_targets

    # Outcome and model of each odds ratio: the primary (assumed) specification, not the calibration.
    return analysis_targets(_records(raw, "claim_id"))


def _claim_kind(claim: dict) -> str:
    if isinstance(claim.get("value"), list):
        return "list"
    if claim.get("ci") is not None:
        return "odds_ratio"
    if claim.get("unit") == "percent":
        return "percentage"
    return "count"


def printed_decimals(value: Any) -> int:
    """Decimals the value was printed with: 91 -> 0, 57.5 -> 1, '60.20' -> 2."""
    if isinstance(value, int | np.integer):
        return 0
    text = str(value)
    return len(text.split(".", 1)[1]) if "." in text else 0


# --- Rounding and the rules (pure functions, unit-tested) -------------------------------------------
def round_half_up(value: float | Fraction, decimals: int) -> float:
    """Round half up at `decimals` (57.45 -> 57.5), exactly for Fractions, float noise removed."""
    if not isinstance(value, Fraction):
        value = Fraction(f"{float(value):.10f}")
    scale = Fraction(10) ** decimals
    scaled = value * scale
    rounded = math.floor(scaled + Fraction(1, 2)) if scaled >= 0 else -math.floor(-scaled + Fraction(1, 2))
    return float(Fraction(rounded) / scale)


def percentage_status(published: float, reproduced: float | Fraction, decimals: int) -> tuple[str, float]:
    """(status, difference of the rounded reproduced value from the published one, in points)."""
    rounded = round_half_up(reproduced, decimals)
    difference = round(rounded - float(published), decimals + 6)
    units = round(abs(difference) * 10**decimals, 6)
    if units == 0:
        return "reproduced", difference
    if units <= PCT_MINOR_UNITS:
        return "minor", difference
    return "major", difference


def decision(low: float, high: float) -> int:
    """+1 if the 95% CI lies above 1, -1 if below 1, 0 if it contains 1."""
    if low > 1:
        return 1
    if high < 1:
        return -1
    return 0


def published_se(low: float, high: float) -> float:
    """SE of ln OR implied by a printed 95% CI: (ln hi - ln lo) / 3.92."""
    return (math.log(high) - math.log(low)) / CI_DIVISOR


def odds_ratio_status(
    published: float,
    published_low: float,
    published_high: float,
    reproduced: float,
    reproduced_low: float,
    reproduced_high: float,
) -> dict:
    """z, CI-width ratio, decision agreement and status of one reproduced odds ratio."""
    se_pub = published_se(published_low, published_high)
    z = (math.log(reproduced) - math.log(published)) / se_pub
    width_ratio = (math.log(reproduced_high) - math.log(reproduced_low)) / (
        math.log(published_high) - math.log(published_low)
    )
    agrees = decision(published_low, published_high) == decision(reproduced_low, reproduced_high)
    eps = 1e-9  # boundaries are inclusive; float noise must not push a value across them
    if not agrees:
        status = "major"
    elif abs(z) <= OR_Z_REPRODUCED + eps and OR_CI_WIDTH_RATIO[0] - eps <= width_ratio <= OR_CI_WIDTH_RATIO[1] + eps:
        status = "reproduced"
    elif abs(z) <= OR_Z_MINOR + eps:
        status = "minor"
    else:
        status = "major"
    return {"z": z, "ci_width_ratio": width_ratio, "decision_agrees": agrees, "status": status}


def count_status(published: float, reproduced: float) -> tuple[str, float]:
    difference = float(reproduced) - float(published)
    if difference == 0:
        return "reproduced", difference
    if abs(difference) <= COUNT_MINOR_RELATIVE * abs(float(published)):
        return "minor", difference
    return "major", difference


# --- Reproducing each target from the data ---------------------------------------------------------
def _query_columns(text: str | None) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text or ""))


def _missing(df: pd.DataFrame, columns: Iterable[str]) -> list[str]:
    return [c for c in columns if c and c not in df.columns]


def _empty_row(target: dict, kind: str) -> dict:
    return {
        "claim_id": target["claim_id"],
        "kind": kind,
        "value": np.nan,
        "count": np.nan,
        "denominator": np.nan,
        "documented_denominator": target.get("denominator"),
        "decimals": target.get("decimals"),
        "conf_low": np.nan,
        "conf_high": np.nan,
        "std_error": np.nan,
        "p_value": np.nan,
        "model": target.get("model"),
        "term": target.get("term"),
        "text": "",
        "list_status": None,
        "computable": True,
        "reason": "",
    }


def _not_computable(row: dict, reason: str) -> dict:
    row.update(computable=False, reason=reason)
    return row


def _reproduce_percentage(df: pd.DataFrame, target: dict) -> dict:
    row = _empty_row(target, "percentage")
    variable, population = target["variable"], target.get("population", "all")
    needed = [variable]
    if population == "asked":
        book = load_codebook()
        if variable in book.variables:
            needed += sorted(_query_columns(book[variable].asked_if) & (set(book.variables) | set(book.derived)))
    elif population not in (None, "all"):
        needed += sorted(_query_columns(population) & (set(df.columns) | set(load_codebook().names)))
    missing = _missing(df, needed)
    if missing:
        return _not_computable(row, f"column(s) missing from the data: {', '.join(missing)}")
    try:
        subset = in_population(df, population, variable)
    except Exception as exc:  # a population query that does not evaluate on this file
        return _not_computable(row, f"population '{population}' could not be evaluated: {exc}")
    values = subset[variable]
    levels = target["level"] if isinstance(target["level"], list) else [target["level"]]
    answered = values.notna()
    denominator = int(answered.sum())
    count = int(values[answered].astype(object).isin(levels).sum())
    if denominator == 0:
        return _not_computable(row, f"nobody in population '{population}' answered {variable}")
    row.update(value=100 * count / denominator, count=count, denominator=denominator)
    documented = target.get("denominator")
    if isinstance(documented, int | np.integer) and documented != denominator:
        row["reason"] = f"denominator {denominator} in the data, {documented} documented in targets.yaml"
    return row


def _fit(df: pd.DataFrame, outcome: str, exposure: str, kind: str, cache: dict) -> pd.DataFrame:
    key = (outcome, exposure, kind)
    if key not in cache:
        from helpers.analysis.patterns import sequential  # models.sequential on the covariate patterns

        cache[key] = sequential(df, outcome, exposure, kind=kind)
    return cache[key]


def _model_columns(target: dict) -> list[str]:
    book = load_codebook()
    model = str(target.get("model", "Model 3"))
    covariates = []
    if model.endswith(("2", "3")):
        covariates += book.confounders("demographics")
    if model.endswith("3"):
        covariates += book.confounders("job")
    return [target["outcome"], target["exposure"], *covariates]


def _reproduce_odds_ratio(df: pd.DataFrame, target: dict, cache: dict) -> dict:
    row = _empty_row(target, "odds_ratio")
    missing = _missing(df, _model_columns(target))
    if missing:
        return _not_computable(row, f"column(s) missing from the data: {', '.join(missing)}")
    kind = target.get("model_type", "logistic")
    term = target.get("term") or f"{target['exposure']}[{target.get('exposure_level', 'Yes')}]"
    model = target.get("model", "Model 3")
    try:
        fits = _fit(df, target["outcome"], target["exposure"], kind, cache)
    except Exception as exc:
        return _not_computable(row, f"{kind} model could not be fitted: {exc}")
    hit = fits[(fits["model"] == model) & (fits["term"] == term)]
    if hit.empty:
        return _not_computable(row, f"term {term} not found in {model}")
    fit = hit.iloc[0]
    row.update(
        value=float(fit["odds_ratio"]),
        conf_low=float(fit["conf_low"]),
        conf_high=float(fit["conf_high"]),
        std_error=float(fit["std_error"]),
        p_value=float(fit["p_value"]),
        denominator=int(fit["n"]),
        model=model,
        term=term,
    )
    warning = str(fit.get("warning", "") or "")
    if warning and warning.lower() != "nan":
        row["reason"] = warning
    return row


def _reproduce_count(df: pd.DataFrame, target: dict) -> dict:
    row = _empty_row(target, "count")
    population = target.get("population", "all")
    try:
        subset = in_population(df, population)
    except Exception as exc:
        return _not_computable(row, f"population '{population}' could not be evaluated: {exc}")
    row.update(value=float(len(subset)), count=len(subset), denominator=len(subset))
    return row


def _measure_columns(target: dict, names: list[str]) -> list[str]:
    if target.get("variables"):
        return list(target["variables"])
    book = load_codebook()
    columns = []
    for name in names:
        match = [c for c in book.option_set("measures") if name.lower() in book.label(c).lower()]
        columns.append(match[0] if match else name)
    return columns


def _reproduce_measures(df: pd.DataFrame, target: dict, names: list[str]) -> dict:
    row = _empty_row(target, "list")
    columns = _measure_columns(target, names)
    missing = _missing(df, columns)
    if missing:
        return _not_computable(row, f"column(s) missing from the data: {', '.join(missing)}")
    parts, ok = [], True
    denominator = 0
    for name, column in zip(names, columns, strict=True):
        answered = df[column].notna()
        used = int((df.loc[answered, column].astype(object) == "Yes").sum())
        denominator = max(denominator, int(answered.sum()))
        ok &= used > 0
        parts.append(f"{name}: {'named' if used > 0 else 'not named'}")
    row.update(text="; ".join(parts), list_status="reproduced" if ok else "major", denominator=denominator)
    return row


def _null_items(names: list[str], columns: Iterable[str]) -> dict[str, str | list[str]]:
    """Published list items -> the columns they mean ('demographics' for the majority item)."""
    items: dict[str, str | list[str]] = {}
    for name in names:
        name = str(name)
        if name in NULL_PREDICTOR_ITEMS:
            items[name] = NULL_PREDICTOR_ITEMS[name]
        elif "demographic" in name:
            items[name] = "demographics"
        else:
            items[name] = [name] if name in columns else [name.replace(" ", "_")]
    return items


def _terms_of(fits: pd.DataFrame, variable: str) -> pd.DataFrame:
    term = fits["term"].astype(str)
    return fits[(term == variable) | term.str.startswith(variable + "[") | term.str.startswith(variable + ".")]


def _joint_p(df: pd.DataFrame, spec: dict, model: str, kind: str, columns: list[str], cache: dict) -> dict[str, float]:
    """Joint Wald p of each variable in the stated model (helpers.analysis.models.wald_test_terms)."""
    from helpers.analysis.models import adjustment_sets
    from helpers.analysis.patterns import wald_test_terms  # models.wald_test_terms on the covariate patterns

    key = ("wald", spec["outcome"], spec["exposure"], model, kind)
    if key not in cache:
        covariates = adjustment_sets(spec["exposure"], spec["outcome"])[model]
        terms = [c for c in columns if c in covariates]
        tests = wald_test_terms(df, spec["outcome"], spec["exposure"], covariates, kind=kind, terms=terms)
        cache[key] = dict(zip(tests["term"], tests["p_value"].astype(float)))
    return cache[key]


def _null_models(target: dict, default: dict) -> list[dict]:
    if target.get("models"):
        return [dict(m) for m in target["models"]]
    outcome = target.get("outcome", default.get("outcome"))
    exposure = target.get("exposure", default.get("exposure"))
    if not outcome or not exposure:
        return []
    outcomes = outcome if isinstance(outcome, list) else [outcome]
    return [{"outcome": o, "exposure": exposure} for o in outcomes]


def _reproduce_null(df: pd.DataFrame, target: dict, names: list[str], cache: dict, default: dict) -> dict:
    """Each named predictor: every term p >= ALPHA in every stated model fit; demographics: most of them."""
    row = _empty_row(target, "list")
    book = load_codebook()
    model = target.get("model", "Model 3")
    kind = target.get("model_type", default.get("model_type", "logistic"))
    alpha = float(target.get("alpha", ALPHA))
    specs = _null_models(target, default)
    if not specs:
        return _not_computable(row, "no outcome/exposure model stated for the null predictors")
    items = _null_items(names, book.names)
    demographics = book.confounders("demographics")
    named = [c for cols in items.values() if isinstance(cols, list) for c in cols]
    needed = {c for spec in specs for c in _model_columns({**spec, "model": model})} | set(named)
    missing = _missing(df, sorted(needed))
    if missing:
        return _not_computable(row, f"column(s) missing from the data: {', '.join(missing)}")
    p_joint: dict[str, float] = {}
    p_term: dict[str, float] = {}
    n = 0
    for spec in specs:
        try:
            fits = _fit(df, spec["outcome"], spec["exposure"], kind, cache)
        except Exception as exc:
            return _not_computable(row, f"model could not be fitted: {exc}")
        fits = fits[fits["model"] == model]
        if fits.empty:
            return _not_computable(row, f"{model} missing from the fit of {spec['outcome']} ~ {spec['exposure']}")
        n = max(n, int(fits["n"].max()))
        for column in [*named, *demographics]:
            terms = _terms_of(fits, column)
            if terms.empty:
                return _not_computable(row, f"{column} not in {model} of {spec['outcome']} ~ {spec['exposure']}")
            p_term[column] = min(p_term.get(column, 1.0), float(terms["p_value"].min()))
        for column, p in _joint_p(df, spec, model, kind, [*named, *demographics], cache).items():
            p_joint[column] = min(p_joint.get(column, 1.0), p)
    parts, named_ok, demo_ok = [], True, True
    for item, columns in items.items():
        if columns == "demographics":
            ns = [v for v in demographics if p_joint[v] >= alpha]
            demo_ok = len(ns) > len(demographics) / 2
            significant = [v for v in demographics if v not in ns]
            parts.append(
                f"demographics: {len(ns)} of {len(demographics)} not significant"
                + (f" ({', '.join(significant)} significant)" if significant else "")
            )
            continue
        for column in columns:
            named_ok &= p_joint[column] >= alpha
            parts.append(f"{column}: joint p ≥ {_floor2(p_joint[column])} (single terms ≥ {_floor2(p_term[column])})")
    status = "major" if not named_ok else ("reproduced" if demo_ok else "minor")
    fits_text = f"smallest over {len(specs)} {model} fit{'s' if len(specs) != 1 else ''}"
    row.update(text=f"{'; '.join(parts)} ({fits_text})", list_status=status, denominator=n, model=model)
    return row


def _floor2(p: float) -> str:
    """A p-value floored to 2 decimals for 'p ≥ x' (never rounded up across a threshold)."""
    return f"{math.floor(p * 100) / 100:.2f}"


def _default_targets(claims: list[dict]) -> list[dict]:
    """Targets for claims a targets file does not list: the count of respondents only."""
    return [{"claim_id": c["id"], "kind": "count", "population": "all"} for c in claims if c["id"] == "n_analysed"]


def reproduce_claims(
    df: pd.DataFrame, targets: list[dict] | None = None, claims: list[dict] | None = None
) -> pd.DataFrame:
    """One row per target: the value recomputed from `df` (or why it cannot be)."""
    targets = _records(load_targets() if targets is None else targets, "claim_id")
    claims = _claim_records(load_claims() if claims is None else claims)
    by_claim = {c["id"]: c for c in claims}
    known = {t["claim_id"] for t in targets}
    targets = targets + [t for t in _default_targets(claims) if t["claim_id"] not in known]
    or_targets = [t for t in targets if t.get("kind") == "odds_ratio"]
    default_model = or_targets[0] if or_targets else {}
    cache: dict = {}
    rows = []
    for target in targets:
        kind = target.get("kind") or _claim_kind(by_claim.get(target["claim_id"], {}))
        claim = by_claim.get(target["claim_id"], {})
        names = target.get("items") or claim.get("value") or []
        if kind == "percentage":
            rows.append(_reproduce_percentage(df, target))
        elif kind == "odds_ratio":
            rows.append(_reproduce_odds_ratio(df, target, cache))
        elif kind == "count":
            rows.append(_reproduce_count(df, target))
        elif kind == "list" and "null" in target["claim_id"]:
            rows.append(_reproduce_null(df, target, list(names), cache, default_model))
        elif kind == "list":
            rows.append(_reproduce_measures(df, target, list(names)))
        else:
            rows.append(_not_computable(_empty_row(target, str(kind)), f"unknown target kind {kind!r}"))
    return pd.DataFrame(rows)


# --- Scoring ---------------------------------------------------------------------------------------
def _published_text(value: Any) -> Any:
    """Lists as 'a; b; c'; numbers as floats (one CSV format for every number)."""
    if isinstance(value, list | tuple | np.ndarray):
        return "; ".join(str(v) for v in value)
    return float(value) if isinstance(value, int | float | np.number) else value


def score(claims: list[dict] | pd.DataFrame | None = None, reproduced: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per published figure: published, reproduced, difference, status and the rule applied."""
    from helpers.analysis.spec import rests_on

    claims = _claim_records(load_claims() if claims is None else claims)
    if reproduced is None:
        raise ValueError("score() needs the frame returned by reproduce_claims(df)")
    by_id = {r["claim_id"]: r for r in reproduced.to_dict("records")}
    rows = []
    for claim in claims:
        rep = by_id.get(claim["id"])
        kind = rep["kind"] if rep else _claim_kind(claim)
        ci = claim.get("ci") or [np.nan, np.nan]
        row = {
            "claim_id": claim["id"],
            "kind": kind,
            "what": claim.get("what", ""),
            "published": _published_text(claim.get("value")),
            "decimals": pd.NA,
            "published_low": float(ci[0]),
            "published_high": float(ci[1]),
            "reproduced": np.nan,
            "reproduced_low": np.nan,
            "reproduced_high": np.nan,
            "difference": np.nan,
            "z": np.nan,
            "ci_width_ratio": np.nan,
            "decision_agrees": pd.NA,
            "denominator": np.nan,
            "status": "not computable",
            "rule": RULE_NONE,
            "reason": "",
            "assumptions": "; ".join(rests_on(claim["id"])),
        }
        if rep is None:
            row["reason"] = "no calibration target documents how to compute this figure"
            rows.append(row)
            continue
        row["reason"] = rep.get("reason", "") or ""
        row["denominator"] = rep.get("denominator", np.nan)
        if not rep.get("computable", True):
            rows.append(row)
            continue
        published = claim.get("value")
        if kind == "percentage":
            decimals = rep.get("decimals")
            decimals = printed_decimals(published) if _nan(decimals) else int(decimals)
            exact = Fraction(int(rep["count"]) * 100, int(rep["denominator"]))
            status, difference = percentage_status(float(published), exact, decimals)
            row.update(
                reproduced=float(rep["value"]),
                decimals=decimals,
                difference=difference,
                status=status,
                rule=RULE_PERCENTAGE,
            )
        elif kind == "odds_ratio":
            result = odds_ratio_status(
                float(published), float(ci[0]), float(ci[1]),
                float(rep["value"]), float(rep["conf_low"]), float(rep["conf_high"]),
            )  # fmt: skip
            row.update(
                reproduced=float(rep["value"]),
                decimals=max(printed_decimals(v) for v in (published, *ci)),
                reproduced_low=float(rep["conf_low"]),
                reproduced_high=float(rep["conf_high"]),
                difference=float(rep["value"]) - float(published),
                rule=RULE_ODDS_RATIO,
                **result,
            )
        elif kind == "count":
            status, difference = count_status(float(published), float(rep["value"]))
            row.update(
                reproduced=float(rep["value"]), decimals=0, difference=difference, status=status, rule=RULE_COUNT
            )
        elif kind == "list":
            is_null = "null" in claim["id"]
            row.update(
                reproduced=rep.get("text", ""),
                status=rep.get("list_status") or "major",
                rule=RULE_LIST_NULL if is_null else RULE_LIST_MEASURES,
            )
        rows.append(row)
    out = pd.DataFrame(rows, columns=CSV_COLUMNS)
    out["decision_agrees"] = out["decision_agrees"].astype("boolean")
    out["decimals"] = out["decimals"].astype("Int64")
    out["denominator"] = pd.to_numeric(out["denominator"]).round().astype("Int64")
    out["status"] = pd.Categorical(out["status"], categories=list(STATUSES))
    return out


def status_counts(scored: pd.DataFrame) -> dict[str, int]:
    counts = scored["status"].astype(str).value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUSES}


# --- Output ----------------------------------------------------------------------------------------
def _csv_cell(value: Any) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        return CSV_FLOAT_FORMAT.format(float(value))
    return str(value)


def claims_csv_text(scored: pd.DataFrame) -> str:
    """claims.csv as text: fixed columns, floats as %.4f, empty for missing, '\\n' line endings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_COLUMNS)
    for record in scored[CSV_COLUMNS].astype(object).itertuples(index=False):
        writer.writerow([_csv_cell(v) for v in record])
    return buffer.getvalue()


def write_claims_csv(scored: pd.DataFrame, path: str | Path) -> Path:
    """Write claims.csv; `path` is the file (ending .csv) or the folder to put claims.csv in."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        path = path / "claims.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(claims_csv_text(scored))
    return path


# --- Prose and display -----------------------------------------------------------------------------
def data_statement(df: pd.DataFrame, min_cell_count: int = 5) -> str:
    """What data the scorecard ran on, and what agreement therefore means (Markdown)."""
    synthetic = df.attrs.get("source") == "synthetic"
    from helpers.present.prose import data_statement as general

    lead = general(df, min_cell_count)  # empty for the synthetic data: the caveat is said once, up front
    lead = lead + "\n\n" if lead else ""
    return lead + ("**" + (TRUE_BY_CONSTRUCTION if synthetic else GENUINE_TEST) + "**")


def summary_sentence(scored: pd.DataFrame) -> str:
    """'Of the 14 published figures, 12 are reproduced, ...' from the status counts."""
    c = status_counts(scored)
    total = len(scored)
    text = (
        f"Of the {total} published figures, {c['reproduced']} "
        f"{'is' if c['reproduced'] == 1 else 'are'} reproduced, {c['minor']} "
        f"{'differs' if c['minor'] == 1 else 'differ'} in a minor way, {c['major']} "
        f"{'differs' if c['major'] == 1 else 'differ'} in a major way and {c['not computable']} "
        f"could not be computed from this file."
    )
    failed = scored[scored["status"].astype(str).isin(["minor", "major"])]
    if len(failed):
        text += (
            " Not reproduced: "
            + ", ".join(f"{plain_label(w)} ({s})" for w, s in zip(failed["what"], failed["status"]))
            + "."
        )
    missing = scored[scored["status"].astype(str) == "not computable"]
    if len(missing):
        text += (
            " Not computable: "
            + "; ".join(f"{plain_label(w)} ({r})" for w, r in zip(missing["what"], missing["reason"]))
            + "."
        )
    return text


def _fmt_value(kind: str, value: Any, low: float = np.nan, high: float = np.nan, decimals: int = 1) -> str:
    if _nan(value) or value == "":
        return ""
    if isinstance(value, str):
        return value
    if kind == "odds_ratio":
        return f"{value:.2f} ({low:.2f}-{high:.2f})"
    if kind == "percentage":
        return f"{value:.{decimals}f}%"
    return f"{value:.0f}"


# Readers see words; the ids (claim ids, specification choices) stay in claims.csv.
CHOICE_WORDS = {
    "outcome_map": "outcome",
    "model_level": "model",
    "exposures": "exposures",
    "cut_point": "cut-point",
    "dont_know": '"don\'t know" coding',
    "sparse_levels": "sparse levels",
    "model_type": "model type",
    "ci_method": "CI method",
    "confounders": "confounders",
}


def plain_label(what: Any) -> str:
    """'aware of the SP Information Standard -> reports outcomes' -> 'Aware of ... → reports outcomes'."""
    text = str(what).replace("->", "→")
    return text[:1].upper() + text[1:]


def plain_assumptions(ids: Any) -> str:
    """'outcome_map; model_level; calibration: count' -> 'outcome, model; calibration (count)'."""
    if _nan(ids) or not str(ids).strip():
        return ""
    parts = [p.strip() for p in str(ids).split(";") if p.strip()]
    choices = [CHOICE_WORDS.get(p, p.replace("_", " ")) for p in parts if not p.startswith("calibration:")]
    calibration = [p.split(":", 1)[1].strip() for p in parts if p.startswith("calibration:")]
    out = [", ".join(choices)] if choices else []
    if calibration:
        out.append("calibration (" + ", ".join(calibration) + ")")
    return "; ".join(out)


def display_frame(scored: pd.DataFrame) -> pd.DataFrame:
    """The scorecard as strings, ready for a table."""
    rows = []
    for r in scored.to_dict("records"):
        decimals = 1 if _nan(r["decimals"]) else int(r["decimals"])
        reproduced = _fmt_value(r["kind"], r["reproduced"], r["reproduced_low"], r["reproduced_high"], max(decimals, 1))
        if r["kind"] == "count":
            decimals = 0
        published = _fmt_value(r["kind"], r["published"], r["published_low"], r["published_high"], decimals)
        if r["kind"] == "odds_ratio" and not _nan(r["z"]):
            check = f"z = {r['z']:.2f}; width ratio {r['ci_width_ratio']:.2f}; decision {'agrees' if r['decision_agrees'] else 'differs'}"
        elif r["kind"] in ("percentage", "count") and not _nan(r["difference"]):
            check = f"difference {r['difference']:+.{decimals}f}"
        else:
            check = ""
        denominator = "" if _nan(r["denominator"]) else f"{int(r['denominator'])}"
        rows.append(
            {
                "Figure": plain_label(r["what"]),
                "Published": published,
                "Reproduced": reproduced,
                "n": denominator,
                "Check": check if r["status"] != "not computable" else r["reason"],
                "Status": str(r["status"]),
                "Rests on": plain_assumptions(r.get("assumptions", "")),
            }
        )
    return pd.DataFrame(rows)


def html_table(frame: pd.DataFrame, table_id: str):
    """A plain great_tables rendering of a string frame (deterministic id and text form)."""
    from helpers.present.tables import ReportTable

    return ReportTable(frame, id=table_id).opt_align_table_header("left").tab_options(table_font_size="13px")


def scorecard_table(scored: pd.DataFrame):
    """The scorecard for the report: one row per published figure."""
    return html_table(display_frame(scored), "tbl-scorecard-gt")
