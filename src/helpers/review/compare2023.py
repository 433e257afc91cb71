"""The 2023 wave's headline figures beside the comparable 2025 figures from the data.

2023 (NHS England link worker survey, 777 responses) is known only as published whole-number
percentages. Its counts are reconstructed as round(p x 777 / 100) and, because the printed
percentage is itself rounded, every count k with |100 k / 777 - p| <= 0.5 is as consistent with
it: the 2023 CI and the difference CI are widened to cover that whole range (the union of the
intervals over it), and the test's p-value is reported at the reconstructed count and at its
least significant end. The item denominators of 2023 are not published (777 is the number of
responses), so these are descriptive contrasts of two different samples with different question
wording, not a test of change in one population.

Methods: 2025 Wilson score CI (statsmodels `proportion_confint(method="wilson")`); difference
2025 - 2023 with Newcombe's hybrid score CI (method 10 of Newcombe 1998; statsmodels
`confint_proportions_2indep(method="newcomb")`); pooled two-proportion z test (statsmodels
`proportions_ztest`; z^2 equals the chi-square of R's `prop.test(correct = FALSE)`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from helpers import paths
from helpers.analysis.describe import in_population, wilson_ci
from helpers.data import published
from helpers.present.prose import p_text
from helpers.review.audit import attainable_counts

CONFIDENCE = 0.95
MODEST_RELATIVE = 0.25  # a relative change above this is not "modest" (a stated reading of the word)
# Why every p-value of this chapter is nominal: the test's model (two independent random samples
# of one population) does not hold for these two waves.
NOMINAL_REASONS = (
    "The p-values are nominal: the z test treats the two figures as independent random samples of "
    "one population, and they are not. 2023 is an open national survey ({n23} responses, item "
    "denominators unpublished); 2025 is a filtered sample ({n25} link workers who hold a caseload "
    "and are based in England); some people may have answered both; question wording may differ. "
    "Read them as a scale for the size of a difference, not as a test of change."
)
GENERAL_CAVEATS = (
    "Different samples (2023: {n23} responses to the national survey; 2025: {n25} respondents in this "
    "file); question wording may differ; the 2023 count is reconstructed from a percentage rounded "
    "to a whole number and its item denominator is not published."
)
COLUMNS = [
    "claim_id", "what", "variable", "level", "comparable",
    "value_2023", "n_2023", "count_2023", "count_2023_low", "count_2023_high", "ci_2023_low", "ci_2023_high",
    "value_2025", "count_2025", "n_2025", "ci_2025_low", "ci_2025_high", "published_2025",
    "difference", "diff_low", "diff_high", "diff_low_rounding", "diff_high_rounding",
    "z", "p_value", "p_value_max", "caveat", "general_caveat",
]  # fmt: skip


def load_2023() -> tuple[list[dict], int]:
    """The 2023 figures joined to their 2025 mapping, and the number of 2023 responses."""
    frame = published.load_2023()
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    responses = frame["responses"].dropna()
    if responses.empty:
        raise ValueError(f"{paths.SURVEY_2023_FIGURES.name}: key 'responses' (the number of 2023 responses) is missing")
    return records, int(responses.iloc[0])


def _published_2025(claim_id: Any) -> float:
    if not claim_id:
        return np.nan
    from helpers.review.scorecard import load_claims

    for claim in load_claims():
        if claim["id"] == claim_id:
            return float(claim["value"])
    return np.nan


def wilson(count: int, n: int) -> tuple[float, float]:
    """Wilson score 95% CI for count / n, in percent (helpers.analysis.describe.wilson_ci)."""
    low, high = wilson_ci(count, n)
    return float(low), float(high)


def newcombe_difference(count1: int, n1: int, count2: int, n2: int) -> tuple[float, float]:
    """Newcombe hybrid score 95% CI for p1 - p2, in percentage points."""
    low, high = confint_proportions_2indep(
        count1, n1, count2, n2, method="newcomb", compare="diff", alpha=1 - CONFIDENCE
    )
    return 100 * float(low), 100 * float(high)


def two_proportion_test(count1: int, n1: int, count2: int, n2: int) -> tuple[float, float]:
    """Pooled two-proportion z test (no continuity correction): (z, two-sided p)."""
    z, p = proportions_ztest([count1, count2], [n1, n2])
    return float(z), float(p)


def reconstruct_count(percent: float, n: int, decimals: int = 0) -> tuple[int, int, int]:
    """(reconstructed count, lowest and highest counts consistent with the printed percentage)."""
    counts = attainable_counts(percent, n, decimals)
    central = int(math.floor(percent * n / 100 + 0.5))
    central = min(max(central, counts[0]), counts[-1]) if counts else central
    return central, (counts[0] if counts else central), (counts[-1] if counts else central)


def _applicable(caveat: str, source: Any) -> str:
    """The row's caveat; on data that are not synthetic, sentences about the synthetic data are dropped."""
    if source == "synthetic" or not caveat:
        return caveat.strip()
    sentences = [s.strip() for s in caveat.replace("\n", " ").split(". ") if s.strip()]
    kept = [s for s in sentences if "synthetic" not in s.lower()]
    text = ". ".join(kept)
    return (text if text.endswith(".") or not text else text + ".").strip()


def compare(df: pd.DataFrame, figures: list[dict] | None = None, responses: int | None = None) -> pd.DataFrame:
    """One row per 2023 figure: both waves with CIs, the difference with its CI, z test, caveats."""
    if figures is None or not responses:
        loaded, published_responses = load_2023()
        figures = loaded if figures is None else figures
        responses = responses or published_responses
    responses = int(responses)
    general = GENERAL_CAVEATS.format(n23=responses, n25=len(df))
    rows = []
    for fig in figures:
        value23 = float(fig["value"])
        k23, k23_low, k23_high = reconstruct_count(value23, responses)
        low23 = wilson(k23_low, responses)[0]
        high23 = wilson(k23_high, responses)[1]
        row = dict.fromkeys(COLUMNS, np.nan)
        row.update(
            claim_id=fig["claim_id"], what=fig.get("what", ""), variable=fig.get("variable"), level=fig.get("level"),
            comparable=False, value_2023=value23, n_2023=responses, count_2023=k23, count_2023_low=k23_low,
            count_2023_high=k23_high, ci_2023_low=low23, ci_2023_high=high23,
            published_2025=_published_2025(fig.get("compare_with")),
        )  # fmt: skip
        specific = _applicable(fig.get("caveat") or "", df.attrs.get("source"))
        variable, level = fig.get("variable"), fig.get("level")
        if not variable or variable not in df.columns:
            reason = "no comparable 2025 item" if not variable else f"column {variable} missing from the data"
            row["caveat"] = (specific or f"Not comparable: {reason}.").strip()
            row["general_caveat"] = ""
            rows.append(row)
            continue
        values = in_population(df, fig.get("population"))[variable]
        answered = values.notna()
        n25 = int(answered.sum())
        levels = level if isinstance(level, list) else [level]
        k25 = int(values[answered].astype(object).isin(levels).sum())
        ci25 = wilson(k25, n25)
        diff = 100 * (k25 / n25 - k23 / responses)
        d_low, d_high = newcombe_difference(k25, n25, k23, responses)
        ends = [newcombe_difference(k25, n25, k, responses) for k in (k23_low, k23_high)]
        z, p = two_proportion_test(k25, n25, k23, responses)
        p_max = max(two_proportion_test(k25, n25, k, responses)[1] for k in range(k23_low, k23_high + 1))
        row.update(
            comparable=True, value_2025=100 * k25 / n25, count_2025=k25, n_2025=n25,
            ci_2025_low=ci25[0], ci_2025_high=ci25[1], difference=diff, diff_low=d_low, diff_high=d_high,
            diff_low_rounding=min(d_low, *(e[0] for e in ends)), diff_high_rounding=max(d_high, *(e[1] for e in ends)),
            z=z, p_value=p, p_value_max=p_max, caveat=specific, general_caveat=general,
        )  # fmt: skip
        rows.append(row)
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs["source"] = df.attrs.get("source")
    out.attrs["responses_2023"] = responses
    out.attrs["general_caveat"] = general
    return out


# --- Display ---------------------------------------------------------------------------------------
def display_frame(table: pd.DataFrame, suppress_below: int = 0) -> pd.DataFrame:
    """The comparison as strings; 2025 counts below `suppress_below` (or n - count below it) hidden."""
    rows = []
    for r in table.to_dict("records"):
        row = {
            "2023 figure": r["what"],
            "2023 % (95% CI)": f"{r['value_2023']:.0f} ({r['ci_2023_low']:.1f}-{r['ci_2023_high']:.1f})",
            f"2023 count of {int(r['n_2023'])} (range)": f"{r['count_2023']} ({r['count_2023_low']}-{r['count_2023_high']})",
            "2025 % (95% CI)": "not comparable",
            "2025 n": "",
            "Difference, points (95% CI)": "",
            "Nominal z test": "",
        }
        if r["comparable"]:
            small = min(r["count_2025"], r["n_2025"] - r["count_2025"]) < suppress_below
            row.update(
                {
                    "2025 % (95% CI)": "suppressed (small count)" if small else
                    f"{r['value_2025']:.1f} ({r['ci_2025_low']:.1f}-{r['ci_2025_high']:.1f})",
                    "2025 n": f"{int(r['n_2025'])}",
                    "Difference, points (95% CI)": "" if small else
                    f"{r['difference']:+.1f} ({r['diff_low']:+.1f} to {r['diff_high']:+.1f}; "
                    f"with 2023 rounding {r['diff_low_rounding']:+.1f} to {r['diff_high_rounding']:+.1f})",
                    "Nominal z test": "" if small else f"z = {r['z']:.2f}, nominal {p_text(r['p_value'])} (largest over 2023 rounding: {p_text(r['p_value_max'])})",
                }
            )  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_table(table: pd.DataFrame, suppress_below: int = 0):
    """The comparison for the report (great_tables HTML with a plain-text fallback)."""
    from helpers.review.scorecard import html_table

    return html_table(display_frame(table, suppress_below), "tbl-compare-2023-gt")


def caveats_markdown(table: pd.DataFrame) -> str:
    """The caveats: why the p-values are nominal, those of every comparison, then each figure's own."""
    general = table.attrs.get("general_caveat") or next((g for g in table["general_caveat"] if g), "")
    lines = [f"- **{r.what}**: {r.caveat}" for r in table.itertuples() if r.caveat]
    n23 = int(table["n_2023"].iloc[0]) if len(table) else load_2023()[1]
    n25 = int(table["n_2025"].max()) if table["comparable"].any() else 0
    nominal = NOMINAL_REASONS.format(n23=n23, n25=n25)
    return f"**Caveats.** {nominal} {general}\n\n" + "\n".join(lines)


def improvement_statement(table: pd.DataFrame, suppress_below: int = 0) -> str:
    """The abstract's "modest improvements since 2023" set against the figures it can be read
    against: each comparable difference in points and relative to 2023."""
    rows = [
        r
        for r in table[table["comparable"]].itertuples()
        if min(r.count_2025, r.n_2025 - r.count_2025) >= suppress_below
    ]
    if not rows:
        return (
            'No 2025 figure here is comparable with 2023, so the abstract\'s "modest improvements" cannot be checked.'
        )
    parts = [
        f"{r.what} {r.value_2023:.0f}% → {r.value_2025:.1f}% ({r.difference:+.1f} points, "
        f"{100 * r.difference / r.value_2023:+.0f}% relative to 2023)"
        for r in rows
    ]
    text = f'The abstract calls the change since 2023 "modest improvements". Against the figures: {"; ".join(parts)}.'
    # Judge the word on the figures the abstract itself prints for 2025 (published_2025).
    printed = [r for r in rows if isinstance(r.published_2025, (int, float)) and not pd.isna(r.published_2025)]
    for r in printed:
        relative = r.difference / r.value_2023
        size = 'larger than "modest" suggests' if abs(relative) > MODEST_RELATIVE else 'consistent with "modest"'
        text += (
            f" For the abstract's own figure ({r.what}, {r.published_2025:g}% in 2025) the change is "
            f"{r.difference:+.1f} points, {100 * relative:+.0f}% relative to 2023: {size} "
            f"(taken here as a relative change within {100 * MODEST_RELATIVE:.0f}%)."
        )
    if table.attrs.get("source") == "synthetic":
        text += " (On the synthetic data the 2025 values are the published or assumed figures by construction.)"
    return text


def summary(table: pd.DataFrame, suppress_below: int = 0) -> str:
    """Sentences with every number of the comparable rows (Markdown); small 2025 counts suppressed."""
    comparable = table[table["comparable"]]
    n23 = int(table["n_2023"].iloc[0]) if len(table) else load_2023()[1]
    parts = []
    for r in comparable.itertuples():
        if min(r.count_2025, r.n_2025 - r.count_2025) < suppress_below:
            parts.append(f"*{r.what}*: {r.value_2023:.0f}% in 2023; the 2025 figure rests on fewer than "
                         f"{suppress_below} respondents and is suppressed.")  # fmt: skip
            continue
        parts.append(
            f"*{r.what}*: {r.value_2023:.0f}% in 2023 (about {r.count_2023} of {n23}; 95% CI "
            f"{r.ci_2023_low:.1f}-{r.ci_2023_high:.1f}% allowing for rounding) against {r.value_2025:.1f}% "
            f"({int(r.count_2025)} of {int(r.n_2025)}; 95% CI {r.ci_2025_low:.1f}-{r.ci_2025_high:.1f}%) here, a difference of "
            f"{r.difference:+.1f} points (Newcombe 95% CI {r.diff_low:+.1f} to {r.diff_high:+.1f}; "
            f"{r.diff_low_rounding:+.1f} to {r.diff_high_rounding:+.1f} over every 2023 count the rounded "
            f"percentage allows; z = {r.z:.2f}, nominal {p_text(r.p_value)}; largest over that range {p_text(r.p_value_max)})."
        )
    others = table[~table["comparable"]]
    text = " ".join(parts)
    if len(others):
        text += (
            f" {len(others)} of the {len(table)} 2023 figures have no comparable 2025 item: "
            + "; ".join(str(w) for w in others["what"])
            + "."
        )
    if table.attrs.get("source") == "synthetic":
        text += (
            " On the synthetic data the 2025 values are the calibration targets or assumed margins, so these "
            "differences show the code path, not a change between the waves."
        )
    return text.strip()


def plot_comparison(table: pd.DataFrame):
    """Dot plot: each comparable figure in 2023 and 2025 with 95% CIs (2023 widened for rounding)."""
    import textwrap

    import matplotlib.pyplot as plt

    from helpers.present import plots

    plots.use_report_style()
    rows = table[table["comparable"]].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, 1.4 + 0.8 * max(len(rows), 1)))
    y = np.arange(len(rows))[::-1]
    for offset, year, colour, marker in ((0.15, "2023", "#7f7f7f", "s"), (-0.15, "2025", "#1f4e79", "o")):
        value = rows[f"value_{year}"]
        low, high = rows[f"ci_{year}_low"], rows[f"ci_{year}_high"]
        ax.errorbar(value, y + offset, xerr=[value - low, high - value], fmt=marker, color=colour,
                    capsize=3, label=f"{year} (n = {int(rows[f'n_{year}'].max()) if len(rows) else 0})")  # fmt: skip
    ax.set_yticks(y)
    ax.set_yticklabels([textwrap.fill(str(w)[:1].upper() + str(w)[1:], 30) for w in rows["what"]])
    ax.set_xlabel("Percent of respondents (95% CI)")
    ax.set_xlim(0, 100)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    return plots.finish(fig)
