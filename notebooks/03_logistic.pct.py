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
# # Predictors of outcome monitoring: logistic models
#
# The paper reports four predictors of outcome monitoring as odds ratios from multiple logistic
# regressions, sequentially adjusted for confounders [@fancourt2026]. Each association is fitted
# three times on one shared complete-case sample: Model 1 unadjusted, Model 2 adding
# demographics (age, gender, ethnicity), Model 3 adding job and training characteristics
# (education, training, seniority, years in role, employer). @tbl-logistic and @fig-forest show
# the odds ratios; @tbl-null tests the predictors the paper found unrelated to outcome reporting.
# The abstract does not say which outcome each odds ratio belongs to, which of the three models
# it comes from, or whether the exposures were fitted one at a time: those are choices of this
# report's primary (assumed) specification, and @sec-assumptions lists them and fits the
# alternatives.

# %% tags=["parameters"]
data_file = None
output_dir = None
seed = 2025
min_cell_count = 5

# %%
#| echo: false
from IPython.display import Markdown, display

from helpers.analysis import analyses, models
from helpers.present import alt_text, figures, narrative, plots, report, tables
from helpers.review import recaps

setup = report.setup(data_file, output_dir, min_cell_count)
df = setup.df
plots.use_report_style()
fits = analyses.fit_associations(df, kind="logistic")

# %%
#| echo: false
display(Markdown(setup.statement))

# %%
#| echo: false
display(Markdown(narrative.association_summary(fits)))

# %%
#| label: tbl-logistic
#| tbl-cap: "Odds ratios (95% CI) for each predictor of outcome monitoring, Models 1-3 (logistic regression)."
#| echo: false
tables.or_table(models.exposure_rows(fits), narrative.association_labels(fits))

# %%
#| label: fig-forest
#| fig-cap: "Odds ratios with 95% confidence intervals across Models 1-3 (log scale; the line marks no association)."
#| echo: false
exposures, labels = models.exposure_rows(fits), narrative.association_labels(fits)
figures.show(plots.forest_plot(exposures, labels=labels), alt_text.forest(exposures, labels))

# %% [markdown]
# ## Null predictors
#
# The paper found that education, training, job seniority and most demographic variables did
# not predict outcome reporting. @tbl-null gives, for each calibrated outcome, the joint Wald
# test of each such variable in Model 3.

# %%
#| label: tbl-null
#| tbl-cap: "Joint Wald tests of the confounders in Model 3, by outcome."
#| echo: false
null_tests = analyses.null_predictor_tests(df)
tables.wald_table(null_tests)

# %%
#| echo: false
display(Markdown(narrative.null_summary(null_tests)))

# %% [markdown]
# ## Recap

# %%
#| echo: false
display(Markdown(recaps.logistic(fits, null_tests)))
