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
# # Comparison with the 2023 survey
#
# The paper describes "modest improvements since 2023". The 2023 national link worker survey
# [@nhse2023] is known only through its published headline percentages (777 responses). This
# chapter sets each of them beside the comparable 2025 figure from the survey file, with
# confidence intervals for both waves and for the difference. The 2023 counts are reconstructed
# from whole-number percentages, so every count those rounded percentages allow is carried into
# the intervals. The two waves are different samples asked differently worded questions:
# these are descriptive contrasts, not measured change.

# %% tags=["parameters"]
data_file = None
output_dir = None
seed = 2025
min_cell_count = 5

# %%
#| echo: false
from IPython.display import Markdown, display

from helpers.present import alt_text, figures, report
from helpers.review import compare2023, recaps

setup = report.setup(data_file, output_dir, min_cell_count)
df, min_count = setup.df, setup.min_count
comparison = compare2023.compare(df)

# %%
#| echo: false
display(Markdown(setup.statement))

# %% [markdown]
# ## 2023 and 2025 side by side
#
# @tbl-compare-2023 gives each 2023 headline figure, the comparable 2025 figure where one exists,
# the difference in percentage points with Newcombe's hybrid score interval [@newcombe1998] (also widened over
# every 2023 count the rounded percentage allows), and a pooled two-proportion z test whose
# p-value is nominal (the caveats below say why).
# @fig-compare-2023 shows the same estimates.

# %%
#| label: tbl-compare-2023
#| tbl-cap: "2023 headline figures and the comparable 2025 figures, with 95% CIs (2023 counts reconstructed from rounded percentages of 777 responses)."
#| echo: false
compare2023.comparison_table(comparison, min_count)

# %%
#| echo: false
display(Markdown(compare2023.summary(comparison, min_count)))

# %%
#| label: fig-compare-2023
#| fig-cap: "Comparable figures in 2023 and 2025 with 95% CIs; the 2023 intervals cover every count the rounded percentage allows. Different samples and wording: not a measure of change."
#| echo: false
figures.show(compare2023.plot_comparison(comparison), alt_text.comparison(comparison))

# %%
#| echo: false
display(Markdown(compare2023.improvement_statement(comparison, min_count)))

# %%
#| echo: false
display(Markdown(compare2023.caveats_markdown(comparison)))

# %% [markdown]
# ## Recap

# %%
#| echo: false
display(Markdown(recaps.comparison(comparison, df)))
