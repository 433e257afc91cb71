"""Consistency audit of the published figures themselves (no survey data needed).

- Percentages (GRIM-style): the integer counts k with 100 k / n within half a unit of the printed
  precision of the printed value (exact fractions; the bound is inclusive, so a value is
  attainable under either round-half-up or round-half-even). A percentage with no attainable
  count for its stated denominator is inconsistent.
- Unknown denominators: every n <= the analysed sample for which all the figures sharing that
  denominator are attainable at once (the two recording-timing percentages).
- Odds ratios: a Wald CI is symmetric on the log scale, so the printed OR should be the geometric
  centre sqrt(lo x hi) of its CI up to the rounding of the three printed numbers. From the CI:
  SE(ln OR) = (ln hi - ln lo) / 3.92, z = ln OR / SE and its two-sided p. Woolf's variance
  SE^2 = 1/a + 1/b + 1/c + 1/d bounds the 2 x 2 cells behind an unadjusted OR: every cell is at
  least 1/SE^2 (so the table needs n >= 4/SE^2) and the smallest cell is at most 4/SE^2.
  Adjusted ORs have somewhat larger SEs than the crude table, so for them these bounds are
  approximate (the implied cells are, if anything, understated).
"""

from __future__ import annotations

import math
from fractions import Fraction
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from helpers import paths, yamlfile
from helpers.review.scorecard import CI_DIVISOR, _claim_records, load_claims, load_targets, printed_decimals

ALPHA = 0.05
AUDIT_COLUMNS = ["claim_id", "check", "result", "flag", "reason"]


# --- Percentages -----------------------------------------------------------------------------------
def _half_unit(decimals: int) -> Fraction:
    return Fraction(1, 2) / Fraction(10) ** decimals


def attainable_counts(value: float, n: int, decimals: int | None = None) -> list[int]:
    """Integer k in 0..n with |100 k / n - value| <= half a unit of the printed precision."""
    decimals = printed_decimals(value) if decimals is None else decimals
    target = Fraction(str(value))
    half = _half_unit(decimals)
    low = max(0, math.ceil((target - half) * n / 100))
    high = min(n, math.floor((target + half) * n / 100))
    return list(range(low, high + 1))


def shared_denominators(values: dict[str, float], max_n: int, decimals: dict[str, int] | None = None) -> pd.DataFrame:
    """Every n in 1..max_n at which each printed percentage in `values` is attainable.

    Columns: n, then one column of counts per value id (the smallest attainable count; with one
    decimal place and n < 1000 there is never more than one).
    """
    decimals = decimals or {}
    rows = []
    for n in range(1, max_n + 1):
        counts = {key: attainable_counts(v, n, decimals.get(key)) for key, v in values.items()}
        if all(counts.values()):
            rows.append({"n": n, **{key: c[0] for key, c in counts.items()}})
    return pd.DataFrame(rows, columns=["n", *values])


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _unknown(denominator: Any) -> bool:
    return isinstance(denominator, str) and denominator.strip().lower().startswith("unknown")


def _targets_by_id(targets: list[dict] | None) -> dict[str, dict]:
    if targets is None:
        try:
            targets = load_targets()
        except FileNotFoundError:
            targets = []
    return {t["claim_id"]: t for t in targets}


def _sample_size(claims: list[dict], default: int = 409) -> int:
    for claim in claims:
        if claim["id"] == "n_analysed":
            return int(claim["value"])
    return default


def grim_table(claims: list[dict] | pd.DataFrame | None = None, targets: list[dict] | None = None) -> pd.DataFrame:
    """For each printed percentage with a known (or documented) denominator: the attainable counts.

    Columns: claim_id, value, decimals, denominator, denominator_source, counts (text),
    count_low, count_high, published_range (the yaml's count_range), target_count, consistent,
    reason.
    """
    claims = _claim_records(load_claims() if claims is None else claims)
    by_target = _targets_by_id(targets)
    rows = []
    for claim in claims:
        if claim.get("unit") != "percent" or _unknown(claim.get("denominator")):
            continue
        target = by_target.get(claim["id"], {})
        decimals = target.get("decimals")
        decimals = printed_decimals(claim["value"]) if decimals is None else int(decimals)
        n = _int_or_none(claim.get("denominator"))
        source = "published"
        if n is None and _int_or_none(target.get("denominator")) is not None:
            n, source = int(target["denominator"]), "documented in targets.yaml (assumed)"
        row = {
            "claim_id": claim["id"],
            "value": float(claim["value"]),
            "decimals": decimals,
            "denominator": n,
            "denominator_source": source,
            "counts": "",
            "count_low": None,
            "count_high": None,
            "published_range": None,
            "target_count": _int_or_none(target.get("count")),
            "consistent": True,
            "reason": "",
        }
        if n is None:
            row.update(consistent=False, reason="no numeric denominator stated or documented")
            rows.append(row)
            continue
        counts = attainable_counts(claim["value"], n, decimals)
        published_range = claim.get("count_range")
        row["published_range"] = None if not published_range else f"{published_range[0]}-{published_range[1]}"
        problems = []
        if not counts:
            problems.append(f"no count k out of {n} gives {claim['value']}%")
        else:
            row.update(
                counts=str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]}",
                count_low=counts[0],
                count_high=counts[-1],
            )
            if published_range and [int(published_range[0]), int(published_range[1])] != [counts[0], counts[-1]]:
                problems.append(f"count_range {row['published_range']} in the yaml differs from the arithmetic")
            if row["target_count"] is not None and row["target_count"] not in counts:
                problems.append(f"targets.yaml count {row['target_count']} does not print as {claim['value']}%")
        row.update(consistent=not problems, reason="; ".join(problems))
        rows.append(row)
    return pd.DataFrame(rows)


def load_timing_candidates(path=None) -> list[tuple[int, ...]]:
    """The candidate list recorded in paper-2025-abstract.yaml: (n, k1, k2) tuples."""
    raw = yamlfile.safe_load((path or paths.PAPER_FIGURES).read_text(encoding="utf-8"))
    return [tuple(int(x) for x in row) for row in raw.get("timing_denominator_candidates", [])]


def unknown_denominator_claims(claims: list[dict] | pd.DataFrame | None = None) -> dict[str, float]:
    """The printed percentages whose denominator the abstract does not give (claim id -> value)."""
    claims = _claim_records(load_claims() if claims is None else claims)
    return {c["id"]: float(c["value"]) for c in claims if c.get("unit") == "percent" and _unknown(c.get("denominator"))}


def timing_denominators(claims: list[dict] | pd.DataFrame | None = None, max_n: int | None = None) -> pd.DataFrame:
    """All n <= the analysed sample at which every unknown-denominator percentage is attainable."""
    claims = _claim_records(load_claims() if claims is None else claims)
    values = unknown_denominator_claims(claims)
    raw_values = {c["id"]: c["value"] for c in claims if c["id"] in values}
    decimals = {key: printed_decimals(raw_values[key]) for key in values}
    return shared_denominators(values, max_n or _sample_size(claims), decimals)


def published_counts(claims: list[dict]) -> dict[int, list[str]]:
    """Every count a printed percentage of the full sample admits -> the claim ids admitting it."""
    out: dict[int, list[str]] = {}
    for row in grim_table(claims, targets=[]).to_dict("records"):
        if pd.isna(row["count_low"]) or row["denominator_source"] != "published":
            continue
        for k in range(int(row["count_low"]), int(row["count_high"]) + 1):
            out.setdefault(k, []).append(row["claim_id"])
    return out


def timing_coincidences(claims: list[dict] | pd.DataFrame | None = None) -> pd.DataFrame:
    """Candidate denominators that equal a count admitted by another printed percentage of 409."""
    claims = _claim_records(load_claims() if claims is None else claims)
    candidates = timing_denominators(claims)
    counts = published_counts(claims)
    rows = [{"n": int(n), "matches": ", ".join(counts[int(n)])} for n in candidates["n"] if int(n) in counts]
    return pd.DataFrame(rows, columns=["n", "matches"])


# --- Odds ratios -----------------------------------------------------------------------------------
def odds_ratio_checks(claims: list[dict] | pd.DataFrame | None = None, total_n: int | None = None) -> pd.DataFrame:
    """Centre, implied SE / z / p and Woolf cell bounds for each printed OR and CI."""
    claims = _claim_records(load_claims() if claims is None else claims)
    total_n = total_n or _sample_size(claims)
    rows = []
    for claim in claims:
        if not claim.get("ci"):
            continue
        value, (low, high) = float(claim["value"]), (float(claim["ci"][0]), float(claim["ci"][1]))
        half = {
            k: 0.5 * 10 ** -printed_decimals(v)
            for k, v in (("or", claim["value"]), ("lo", claim["ci"][0]), ("hi", claim["ci"][1]))
        }
        centre = math.sqrt(low * high)
        ratio = value / centre
        ratio_min = (value - half["or"]) / math.sqrt((low + half["lo"]) * (high + half["hi"]))
        ratio_max = (value + half["or"]) / math.sqrt(max(low - half["lo"], 1e-12) * max(high - half["hi"], 1e-12))
        se = (math.log(high) - math.log(low)) / CI_DIVISOR
        z = math.log(value) / se
        p = 2 * (1 - NormalDist().cdf(abs(z)))
        cell_min = 1 / se**2
        ordered = low <= value <= high
        centred = ratio_min <= 1 <= ratio_max
        fits_n = 4 * math.ceil(cell_min) <= total_n
        problems = []
        if not ordered:
            problems.append("the OR lies outside its own CI")
        if not centred:
            problems.append(
                f"OR / geometric centre of the CI = {ratio:.3f}, outside the {ratio_min:.3f}-{ratio_max:.3f} rounding allows"
            )
        if not fits_n:
            problems.append(f"every cell >= {math.ceil(cell_min)} needs n >= {4 * math.ceil(cell_min)} > {total_n}")
        rows.append(
            {
                "claim_id": claim["id"],
                "odds_ratio": value,
                "conf_low": low,
                "conf_high": high,
                "ci_centre": centre,
                "centre_ratio": ratio,
                "ratio_min": ratio_min,
                "ratio_max": ratio_max,
                "se_log_or": se,
                "z": z,
                "p_value": p,
                "significant": bool(low > 1 or high < 1),
                "min_cell_lower": math.ceil(cell_min),
                "smallest_cell_upper": math.floor(4 / se**2),
                "n_needed": 4 * math.ceil(cell_min),
                "consistent": not problems,
                "reason": "; ".join(problems),
            }
        )
    return pd.DataFrame(rows)


# --- The consistency table -------------------------------------------------------------------------
def consistency_table(
    claims: list[dict] | pd.DataFrame | None = None,
    targets: list[dict] | None = None,
    candidates: list[tuple[int, ...]] | None = None,
) -> pd.DataFrame:
    """One row per check of the published figures: claim_id, check, result, flag, reason.

    `flag` is True where a figure is inconsistent with its denominator, its CI, or the other
    figures; `candidates` defaults to the list recorded in paper-2025-abstract.yaml.
    """
    claims = _claim_records(load_claims() if claims is None else claims)
    by_target = _targets_by_id(targets)
    total_n = _sample_size(claims)
    rows: list[dict] = []

    for r in grim_table(claims, list(by_target.values())).to_dict("records"):
        result = f"{r['counts']} of {r['denominator']}" if r["counts"] else f"none of {r['denominator']}"
        if r["denominator_source"] != "published":
            result += " (denominator assumed)"
        rows.append({"claim_id": r["claim_id"], "check": "GRIM: attainable counts", "result": result,
                     "flag": not r["consistent"], "reason": r["reason"] or "attainable"})  # fmt: skip

    values = unknown_denominator_claims(claims)
    if values:
        found = timing_denominators(claims)
        ids = ", ".join(values)
        recorded = load_timing_candidates() if candidates is None else candidates
        computed = [tuple(int(x) for x in row) for row in found.itertuples(index=False)]
        problems = []
        if found.empty:
            problems.append(f"no n <= {total_n} makes all of {ids} attainable")
        if recorded and computed != [tuple(c) for c in recorded]:
            problems.append("differs from the candidate list recorded in the abstract yaml")
        documented = {_int_or_none(by_target.get(i, {}).get("denominator")) for i in values} - {None}
        for n in sorted(documented):
            if n not in set(found["n"]):
                problems.append(f"targets.yaml denominator {n} is not a candidate")
        span = f"{len(found)} candidates, n = {found['n'].min()}-{found['n'].max()}" if len(found) else "none"
        rows.append({"claim_id": ids, "check": "shared unknown denominator", "result": span,
                     "flag": bool(problems), "reason": "; ".join(problems) or "candidates match the yaml list"})  # fmt: skip

    for r in odds_ratio_checks(claims, total_n).to_dict("records"):
        rows.append({"claim_id": r["claim_id"], "check": "OR at the geometric centre of its CI",
                     "result": f"OR / centre = {r['centre_ratio']:.3f} (rounding allows {r['ratio_min']:.3f}-{r['ratio_max']:.3f})",
                     "flag": not (r["ratio_min"] <= 1 <= r["ratio_max"] and r["conf_low"] <= r["odds_ratio"] <= r["conf_high"]),
                     "reason": r["reason"] if "centre" in r["reason"] or "outside its own" in r["reason"] else "centred"})  # fmt: skip
        rows.append({"claim_id": r["claim_id"], "check": "implied SE, z, p",
                     "result": f"SE = {r['se_log_or']:.3f}, z = {r['z']:.2f}, p = {r['p_value']:.2g}",
                     "flag": False, "reason": "p < 0.05, as the CI excluding 1 says" if r["significant"] else "CI includes 1"})  # fmt: skip
        rows.append({"claim_id": r["claim_id"], "check": "Woolf cell bounds",
                     "result": f"every cell >= {r['min_cell_lower']}; smallest cell <= {r['smallest_cell_upper']}",
                     "flag": r["n_needed"] > total_n,
                     "reason": f"needs n >= {r['n_needed']} (of {total_n})"})  # fmt: skip
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


# --- Prose -----------------------------------------------------------------------------------------
def _listing(items: list[str]) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def timing_finding(claims: list[dict] | pd.DataFrame | None = None, targets: list[dict] | None = None) -> str:
    """The recording-timing denominator finding, as Markdown built from the computation."""
    claims = _claim_records(load_claims() if claims is None else claims)
    by_target = _targets_by_id(targets)
    values = unknown_denominator_claims(claims)
    if not values:
        return "Every printed percentage states its denominator."
    found = timing_denominators(claims)
    coincide = timing_coincidences(claims)
    shown = _listing([f"{v}%" for v in values.values()])
    recorded = [tuple(c) for c in load_timing_candidates()]
    computed = [tuple(int(x) for x in row) for row in found.itertuples(index=False)]
    text = (
        f"The abstract does not give the denominator of the recording-timing percentages ({shown}). "
        f"{len(found)} denominators of at most {_sample_size(claims)} make both attainable at once "
        f"(n = {found['n'].min()} to {found['n'].max()}); "
        + (
            "this list matches the candidates recorded in the abstract yaml. "
            if computed == recorded
            else "this list does NOT match the candidates recorded in the abstract yaml. "
        )
    )
    if len(coincide):
        text += (
            "Among them, "
            + _listing([f"{int(r.n)} (a count admitted by `{r.matches}`)" for r in coincide.itertuples()])
            + " coincide with other printed figures, which makes them the plausible sub-samples. "
        )
    documented = sorted({_int_or_none(by_target.get(i, {}).get("denominator")) for i in values} - {None})
    for n in documented:
        row = found[found["n"] == n]
        if len(row):
            counts = _listing([f"{int(row.iloc[0][i])}/{n}" for i in values])
            text += f"The analysis assumes n = {n} ({counts}), documented in `targets.yaml`."
            text += " " + _timing_against_2023(
                found, n, _sample_size(claims), set(coincide["n"]) if len(coincide) else set()
            )
        else:
            text += f"The documented denominator n = {n} is not among the candidates."
    return text


def _timing_against_2023(found: pd.DataFrame, assumed: int, total: int, coinciding: set) -> str:
    """The assumed timing denominator revisited with 2023: the question is asked of those who
    record patient-level outcomes at all, so n implies a 'never' share of (total - n) / total."""
    from helpers.data.published import load_2023

    figures = load_2023().set_index("claim_id")
    if "pct_never_record_outcomes_2023" not in figures.index:
        return ""
    never_2023 = float(figures.loc["pct_never_record_outcomes_2023", "value"])
    implied = {int(n): 100 * (total - int(n)) / total for n in found["n"]}
    nearest = min(implied, key=lambda n: (abs(implied[n] - never_2023), n))
    return (
        f"Revisited with 2023: the question goes to those who record patient-level outcomes at all, so "
        f"n = {assumed} implies that {implied[assumed]:.1f}% never do, against {never_2023:.0f}% in 2023; "
        f"the candidate nearest the 2023 share is n = {nearest} ({implied[nearest]:.1f}% never). "
        + (
            f"n = {assumed} is kept because it coincides with a printed count, which {nearest} does not; "
            if assumed in coinciding and nearest not in coinciding
            else f"n = {assumed} is kept; "
        )
        + "the 'never' share it implies is an assumption, not a finding (chapter 7 compares it as such)."
    )


def audit_summary(table: pd.DataFrame) -> str:
    flagged = table[table["flag"]]
    if flagged.empty:
        return f"All {len(table)} consistency checks of the published figures pass: nothing is flagged."
    return (
        f"{len(flagged)} of {len(table)} consistency checks flag a problem: "
        + "; ".join(f"`{r.claim_id}` ({r.check}: {r.reason})" for r in flagged.itertuples())
        + "."
    )


def audit_display(table: pd.DataFrame):
    """The consistency table for the report (great_tables HTML, plain-text fallback)."""
    from helpers.review.scorecard import html_table

    shown = table.rename(columns=str.capitalize).assign(Flag=table["flag"].map({True: "FLAG", False: ""}))
    return html_table(
        shown[["Claim_id", "Check", "Result", "Flag", "Reason"]].rename(columns={"Claim_id": "Figure"}), "tbl-audit-gt"
    )
