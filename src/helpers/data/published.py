"""The published figures (paper abstract, 2023 survey) and what each is calibrated to (targets.yaml).

Three files under data/published/:
  paper-2025-abstract.yaml   every figure printed in the paper's abstract (facts)
  survey-2023.yaml           the 2023 wave's published headline figures (facts)
  targets.yaml               for each figure, the variable/level/population/model it is computed
                             from, and the margins the abstract does not print (assumptions)
"""

from __future__ import annotations

import copy
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from helpers import paths, yamlfile

CLAIM_COLUMNS = [
    "claim_id",
    "what",
    "value",
    "ci_low",
    "ci_high",
    "unit",
    "denominator",
    "count_low",
    "count_high",
]
FIGURE_2023_COLUMNS = [
    "claim_id",
    "what",
    "value",
    "unit",
    "year",
    "responses",
    "source",
    "variable",
    "level",
    "population",
    "compare_with",
    "caveat",
]


@lru_cache(maxsize=16)
def _read_yaml(path: Path, mtime_ns: int) -> Any:
    return yamlfile.safe_load(Path(path).read_text(encoding="utf-8"))


def _yaml(path: Path) -> Any:
    # Parsed once per file version (path, mtime); callers get their own copies to mutate freely.
    path = Path(path)
    return copy.deepcopy(_read_yaml(path, path.stat().st_mtime_ns))


def load_claims(path: str | Path | None = None) -> pd.DataFrame:
    """One row per figure printed in the abstract.

    Columns: claim_id, what, value (number, or a list for list claims), ci_low, ci_high (odds
    ratios), unit, denominator (int, or the abstract's text when it is not a number), count_low,
    count_high (the integer counts that round to the printed percentage, where derivable).
    """
    raw = _yaml(Path(path) if path is not None else paths.PAPER_FIGURES)
    rows = []
    for claim in raw["claims"]:
        ci = claim.get("ci") or [None, None]
        count_range = claim.get("count_range") or [None, None]
        rows.append(
            {
                "claim_id": claim["id"],
                "what": claim.get("what"),
                "value": claim.get("value"),
                "ci_low": ci[0],
                "ci_high": ci[1],
                "unit": claim.get("unit"),
                "denominator": claim.get("denominator"),
                "count_low": count_range[0],
                "count_high": count_range[1],
            }
        )
    df = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    for col in ("ci_low", "ci_high"):
        df[col] = df[col].astype("Float64")
    for col in ("count_low", "count_high"):
        df[col] = df[col].astype("Int64")
    return df


def _targets_file(path: str | Path | None = None) -> dict:
    return _yaml(Path(path) if path is not None else paths.TARGETS)


def load_targets(path: str | Path | None = None) -> list[dict]:
    """The `targets:` entries of targets.yaml: one dict per claim id of the abstract."""
    return list(_targets_file(path)["targets"])


def target(claim_id: str, path: str | Path | None = None) -> dict:
    """The targets.yaml entry of one claim id."""
    for entry in load_targets(path):
        if entry["claim_id"] == claim_id:
            return entry
    raise KeyError(f"no target for claim id {claim_id!r} in targets.yaml")


def load_comparisons_2023(path: str | Path | None = None) -> list[dict]:
    """The `comparisons_2023:` entries of targets.yaml (2023 figure -> comparable 2025 variable)."""
    return list(_targets_file(path).get("comparisons_2023", []))


def load_assumed_margins(path: str | Path | None = None) -> dict[str, dict[str, int]]:
    """`assumed_margins:` of targets.yaml: variable -> level -> count.

    Counts are out of 409, or out of the variable's asked population (codebook `asked_if`):
    the measure_* options out of the 199 measure users, recording_timing out of the 372 who
    record patient-level outcomes at all. Every number here is an assumption, not a published
    figure (except where a published count fixes a sum of levels; see targets.yaml comments).
    """
    raw = _targets_file(path).get("assumed_margins", {})
    return {var: {str(level): int(count) for level, count in levels.items()} for var, levels in raw.items()}


def load_2023(path: str | Path | None = None, targets_path: str | Path | None = None) -> pd.DataFrame:
    """The 2023 wave's published figures, one row each, joined to their 2025 comparison mapping.

    Columns: claim_id, what, value, unit, year, responses, source, then from targets.yaml's
    `comparisons_2023:` (NA where a 2023 figure has no comparable 2025 variable): variable,
    level, population, compare_with (2025 claim id, if the abstract prints one), caveat.
    """
    raw = _yaml(Path(path) if path is not None else paths.SURVEY_2023_FIGURES)
    mapping = {c["claim_id"]: c for c in load_comparisons_2023(targets_path)}
    rows = []
    for fig in raw["figures"]:
        comp = mapping.get(fig["id"], {})
        rows.append(
            {
                "claim_id": fig["id"],
                "what": fig.get("what"),
                "value": fig.get("value"),
                "unit": fig.get("unit"),
                "year": 2023,
                "responses": raw.get("responses"),
                "source": raw.get("source"),
                "variable": comp.get("variable"),
                "level": comp.get("level"),
                "population": comp.get("population"),
                "compare_with": comp.get("compare_with"),
                "caveat": comp.get("caveat"),
            }
        )
    return pd.DataFrame(rows, columns=FIGURE_2023_COLUMNS)


def se_from_ci(low: float, high: float, level: float = 0.95) -> float:
    """Standard error of log(OR) implied by a published Wald CI: (ln hi - ln lo) / (2 z)."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + level / 2)
    return (math.log(high) - math.log(low)) / (2 * z)


def published_odds_ratios() -> pd.DataFrame:
    """The odds-ratio claims joined to their targets: claim_id, outcome, exposure, term, model,
    odds_ratio, conf_low, conf_high, log_or, se_log_or (from the CI, with z = 1.959964)."""
    claims = load_claims().set_index("claim_id")
    rows = []
    for t in load_targets():
        if t["kind"] != "odds_ratio":
            continue
        c = claims.loc[t["claim_id"]]
        lo, hi = float(c["ci_low"]), float(c["ci_high"])
        rows.append(
            {
                "claim_id": t["claim_id"],
                "outcome": t["outcome"],
                "exposure": t["exposure"],
                "exposure_level": t["exposure_level"],
                "term": t["term"],
                "model": t["model"],
                "model_type": t["model_type"],
                "odds_ratio": float(c["value"]),
                "conf_low": lo,
                "conf_high": hi,
                "log_or": math.log(float(c["value"])),
                "se_log_or": se_from_ci(lo, hi),
            }
        )
    return pd.DataFrame(rows)
