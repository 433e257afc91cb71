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
# # Patterns of outcome monitoring
#
# How often link workers record patient-level and service-level outcomes (@fig-frequency),
# whether they use quantitative measures or capture qualitative data, which measures they use
# (@fig-measures) and when in their work with a patient they record outcomes (@fig-timing).
# Each percentage has a Wilson score 95% confidence interval [@wilson1927], which stays inside
# 0-100% for small and extreme shares.

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

# %%
#| echo: false
display(Markdown(setup.statement))

# %% [markdown]
# ## How often outcomes are recorded

# %%
#| echo: false
display(Markdown(narrative.frequency_summary(df, min_count)))

# %%
#| label: fig-frequency
#| fig-cap: "How often link workers record patient-level and service-level outcomes (percent of respondents)."
#| echo: false
frequency = disclosure.protect_frequencies(
    describe.likert_distribution(df, narrative.FREQUENCY_ITEMS), min_count, published_sums=disclosure.derived_sums()
)
figures.show(plots.diverging_likert(frequency), alt_text.likert(frequency))

# %%
#| label: tbl-frequency
#| tbl-cap: "Frequency of recording outcomes: n, percent and Wilson 95% confidence interval."
#| echo: false
tables.frequency_table_gt(narrative.frequency_items_table(df), min_count=min_count)

# %% [markdown]
# ## Quantitative measures and qualitative data

# %%
#| echo: false
measures = describe.multiple_response(df, narrative.MEASURE_COLUMNS)
display(Markdown(narrative.measures_summary(df, measures, min_count)))

# %%
#| label: fig-measures
#| fig-cap: "Outcome measures used, among link workers who use quantitative measures (percent with Wilson 95% CI)."
#| echo: false
shown = disclosure.protect_frequencies(measures, min_count)
figures.show(plots.bar_with_ci(shown), alt_text.bars(shown))

# %% [markdown]
# ## When outcomes are recorded

# %%
#| echo: false
timing = disclosure.protect_frequencies(describe.frequency_table(df, "recording_timing"), min_count)
display(Markdown(narrative.timing_summary(timing)))

# %%
#| label: fig-timing
#| fig-cap: "When outcomes are recorded, among those asked (percent with Wilson 95% CI)."
#| echo: false
figures.show(plots.bar_with_ci(timing), alt_text.bars(timing))

# %% [markdown]
# ## Recap

# %%
#| echo: false
display(Markdown(recaps.patterns(df, shown, timing, min_count)))
