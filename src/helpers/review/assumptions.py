"""The assumptions register: every open choice, the one made, the alternatives, the evidence and
the single place to change it.

Two kinds of assumption:

- analysis choices (data/analysis_spec.yaml, via helpers.analysis.spec): how the published figures are
  computed from any survey file; the specification grid varies the ones marked `grid: true`;
- calibration assumptions (the `assumed:` fields of data/published/targets.yaml): what the
  synthetic file was built to, where the abstract is silent. They shape the synthetic data only;
  on a real file the data decide them.
"""

from __future__ import annotations

import pandas as pd

from helpers.data.published import load_targets
from helpers.analysis.spec import DECIDED_BY_SPEC, Spec, load_spec, rests_on  # noqa: F401 (rests_on: API)

SPEC_FILE = "data/analysis_spec.yaml"
TARGETS_FILE = "data/published/targets.yaml"

REGISTER_COLUMNS = ["choice", "label", "primary", "alternatives", "assumed", "grid", "evidence", "where", "applies_to"]


def register(spec: Spec | None = None) -> pd.DataFrame:
    """One row per choice of the analysis specification."""
    spec = spec or load_spec()
    rows = []
    for key, c in spec.choices.items():
        rows.append(
            {
                "choice": key,
                "label": c.label,
                "primary": f"{c.primary}: {c.describe(c.primary)}",
                "alternatives": "; ".join(f"{a}: {c.describe(a)}" for a in c.alternatives) or "none fitted",
                "assumed": c.assumed,
                "grid": c.grid,
                "evidence": c.evidence,
                "where": c.where or f"{SPEC_FILE}: choices.{key}.primary",
                "applies_to": ", ".join(c.applies_to),
            }
        )
    return pd.DataFrame(rows, columns=REGISTER_COLUMNS)


def calibration_assumptions(targets: list[dict] | None = None) -> pd.DataFrame:
    """One row per targets.yaml entry with `assumed:` fields: which, and what its note says."""
    rows = []
    for t in load_targets() if targets is None else targets:
        fields = list(t.get("assumed") or [])
        if not fields:
            continue
        moved = [DECIDED_BY_SPEC[f] for f in fields if f in DECIDED_BY_SPEC]
        rows.append(
            {
                "claim_id": t["claim_id"],
                "assumed": ", ".join(f for f in fields if f not in DECIDED_BY_SPEC) or "-",
                "analysis_choice": ", ".join(moved) or "-",
                "note": " ".join(str(t.get("note", "")).split()),
                "where": f"{TARGETS_FILE}: {t['claim_id']}",
            }
        )
    return pd.DataFrame(rows, columns=["claim_id", "assumed", "analysis_choice", "note", "where"])


def register_table(frame: pd.DataFrame):
    """The register for the report."""
    from helpers.review.scorecard import html_table

    shown = pd.DataFrame({
        "Choice": frame["choice"], "What": frame["label"], "Primary (assumed) specification": frame["primary"],
        "Alternatives": frame["alternatives"], "Status": frame["assumed"].map({True: "assumed", False: "stated"}),
        "In grid": frame["grid"].map({True: "yes", False: "no"}),
    })  # fmt: skip
    return html_table(shown, "tbl-register-gt")


def evidence_markdown(frame: pd.DataFrame) -> str:
    """The evidence for each primary choice and the single place to change it, one bullet each."""
    return "\n".join(f"- **{r.choice}**: {r.evidence} *Change it in* `{r.where}`." for r in frame.itertuples())


def calibration_table(frame: pd.DataFrame):
    from helpers.review.scorecard import html_table

    shown = frame.drop(columns=["where"])  # always targets.yaml, entry = the figure (the caption says so)
    shown.columns = ["Figure", "Assumed for the synthetic file", "Now an analysis choice", "Note"]
    return html_table(shown, "tbl-calibration-gt")


def covers(spec: Spec, frame: pd.DataFrame) -> list[str]:
    """Assumed choices of the specification missing from a register frame (empty = covered)."""
    listed = set(frame.loc[frame["assumed"].astype(bool), "choice"])
    return [k for k, c in spec.choices.items() if c.assumed and k not in listed]


def findings(
    grid_summary: pd.DataFrame,
    decision_flips: pd.DataFrame,
    information: pd.DataFrame,
    wording: pd.DataFrame,
    synthetic: bool,
) -> str:
    """The chapter's closing bullets, from the computed frames.

    grid_summary: helpers.review.grid.consistency; decision_flips: the odds-ratio rows of the grid;
    information: helpers.review.abstract_audit.information_limit; wording: ...times_more_likely.
    """
    from helpers.review.abstract_audit import NEAR_LIMIT

    good = int(grid_summary["consistent"].sum())
    flips = decision_flips[~decision_flips["decision_agrees"].astype(bool)]
    fragile = flips["claim_id"].value_counts()
    near = information[information["se_published_low"] <= information["se_min_high"] * NEAR_LIMIT]
    lines = [
        f"- {good} of {len(grid_summary)} specifications agree with every published figure they compute"
        + (" (on synthetic data the primary does so by construction)." if synthetic else "."),
        "- Significance decisions that change somewhere in the grid: "
        + (", ".join(f"`{c}` ({k} specifications)" for c, k in fragile.items()) if len(fragile) else "none")
        + ".",
        f"- {len(near)} of {len(information)} printed intervals sit at the information limit of a crude 2 x 2 table.",
        f"- {int((~wording['multiple_in_rr_ci']).sum())} of {len(wording)} 'times more likely' readings lie outside "
        "the standardised risk ratio's CI.",
    ]
    return "\n".join(lines)
