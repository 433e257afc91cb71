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
# # Predictors of outcome monitoring: ordinal models
#
# The paper also models the full five-level frequency of recording (never to very often) with
# ordinal regressions. This chapter fits a proportional-odds model for each predictor of a
# frequency outcome, Models 1-3 as in the logistic chapter (@tbl-ordinal, @fig-forest-ordinal),
# and checks the proportional-odds assumption with the Brant test (@tbl-brant). Which figures of
# the abstract, if any, come from these models it does not say; the primary (assumed)
# specification reads the printed odds ratios as logistic ones (@sec-assumptions).

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
fits = analyses.fit_associations(df, kind="ordinal")

# %%
#| echo: false
display(Markdown(setup.statement))

# %%
#| echo: false
display(Markdown(narrative.association_summary(fits)))

# %%
#| label: tbl-ordinal
#| tbl-cap: "Odds ratios (95% CI) of recording outcomes more often, Models 1-3 (proportional-odds regression)."
#| echo: false
tables.or_table(models.exposure_rows(fits), narrative.association_labels(fits))

# %%
#| label: fig-forest-ordinal
#| fig-cap: "Proportional-odds odds ratios with 95% confidence intervals across Models 1-3 (log scale)."
#| echo: false
exposures, labels = models.exposure_rows(fits), narrative.association_labels(fits)
figures.show(plots.forest_plot(exposures, labels=labels), alt_text.forest(exposures, labels))

# %% [markdown]
# ## Is the proportional-odds assumption reasonable?
#
# A proportional-odds model assumes each predictor shifts every cumulative split of the
# frequency scale by the same odds ratio. The Brant test [@brant1990] compares separate binary logits at
# each cut-point; a small p-value says the assumption fails for that term.

# %%
#| label: tbl-brant
#| tbl-cap: "Brant tests of the proportional-odds assumption for each Model 3 fit."
#| echo: false
brant = analyses.brant_tests(df)
tables.brant_table(brant)

# %%
#| echo: false
display(Markdown(narrative.brant_summary(brant)))

# %% [markdown]
# ## Recap

# %%
#| echo: false
display(Markdown(recaps.ordinal(fits, brant)))
