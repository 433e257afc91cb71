# ---
# jupyter:
#   jupytext:
#     formats: ipynb,.pct.py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version,-jupytext.text_representation.format_version
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Reproduction scorecard {#sec-scorecard}
#
# Every figure printed in the paper's abstract [@fancourt2026], recomputed from the survey file
# and set beside its published value, with an explicit status: *reproduced*, *minor* or *major*
# difference, or *not computable* from this file. Percentages must match after rounding to the
# printed precision; odds ratios are compared on the log scale against the standard error their
# published confidence interval implies, and a changed significance decision counts as a major
# difference whatever its size. A second table audits the published figures against each other,
# without any data: whether each percentage is attainable from its denominator, and whether each
# odds ratio sits where its confidence interval says it should. Each row also names the
# assumptions its reproduction rests on: the choices of the primary (assumed) specification
# and, for the synthetic file, what it was calibrated to (@sec-assumptions lists both).

# %% tags=["parameters"]
data_file = None
output_dir = None
seed = 2025
min_cell_count = 5

# %%
#| echo: false
from IPython.display import Markdown, display

from helpers.present import report
from helpers.review import audit, recaps, scorecard

setup = report.setup(data_file, output_dir, min_cell_count)
df = setup.df
scored = scorecard.score(scorecard.load_claims(), scorecard.reproduce_claims(df))
checks = audit.consistency_table()

# %%
#| echo: false
display(Markdown(scorecard.data_statement(df, min_cell_count)))

# %% [markdown]
# ## The published figures, recomputed
#
# @tbl-scorecard lists each figure of the abstract with its reproduced value and the check that
# decides its status (the rule behind each status is in `claims.csv`, written alongside the report).

# %%
#| label: tbl-scorecard
#| tbl-cap: "Reproduction scorecard: each figure of the abstract, published and reproduced, with its status."
#| echo: false
scorecard.scorecard_table(scored)

# %%
#| echo: false
display(Markdown(scorecard.summary_sentence(scored)))

# %% [markdown]
# ## Are the published figures consistent with each other?
#
# @tbl-audit checks the abstract's numbers on their own terms: the integer counts that give each
# printed percentage for its denominator (a GRIM-style test), whether each odds ratio is the
# geometric centre of its confidence interval up to rounding, the standard error, z and p-value
# each interval implies, and Woolf's bounds on the cells of the 2 x 2 table behind it (these are
# approximate for adjusted odds ratios).

# %%
#| label: tbl-audit
#| tbl-cap: "Consistency audit of the published figures (no data used); FLAG marks an inconsistency."
#| echo: false
audit.audit_display(checks)

# %%
#| echo: false
display(Markdown(audit.audit_summary(checks)))

# %% [markdown]
# ## The recording-timing denominator

# %%
#| echo: false
display(Markdown(audit.timing_finding()))

# %%
#| echo: false
claims_file = scorecard.write_claims_csv(scored, setup.output_folder())
display(Markdown(f"The scorecard is also written to `{claims_file.name}` in the output folder."))

# %% [markdown]
# ## Recap

# %%
#| echo: false
display(Markdown(recaps.scorecard_recap(scored, df)))
