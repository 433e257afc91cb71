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
# # What would help link workers record outcomes
#
# Link workers were asked what would help them record outcomes more (tick all that apply).
# @fig-helps shows the share choosing each option; @tbl-helps compares those who already record
# patient-level outcomes often with those who do not.

# %% tags=["parameters"]
data_file = None
output_dir = None
seed = 2025
min_cell_count = 5

# %%
#| echo: false
from IPython.display import Markdown, display

from helpers.analysis import describe
from helpers.present import alt_text, disclosure, figures, narrative, plots, report, tables
from helpers.review import recaps

setup = report.setup(data_file, output_dir, min_cell_count)
df, min_count = setup.df, setup.min_count
plots.use_report_style()
helps = describe.multiple_response(df, narrative.HELP_COLUMNS)

# %%
#| echo: false
display(Markdown(setup.statement))

# %%
#| echo: false
display(Markdown(narrative.helps_summary(helps, min_count)))

# %%
#| label: fig-helps
#| fig-cap: "What would help link workers record outcomes (percent of respondents with Wilson 95% CI)."
#| echo: false
shown = disclosure.protect_frequencies(helps, min_count)
figures.show(plots.bar_with_ci(shown), alt_text.bars(shown))

# %%
#| label: tbl-helps
#| tbl-cap: "What would help, by whether the respondent records patient-level outcomes often or very often: n (%)."
#| echo: false
tables.multiple_response_by(df, narrative.HELP_COLUMNS, by="patient_outcomes_often", min_count=min_count)

# %% [markdown]
# ## Recap

# %%
#| echo: false
display(Markdown(recaps.solutions(helps, min_count)))
