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
# # Data and sample
#
# This chapter says what data the report runs on, describes the analysed sample
# (@tbl-sample) and lists every analysis variable with its coding (@tbl-dictionary).

# %% tags=["parameters"]
data_file = None
output_dir = None
seed = 2025
min_cell_count = 5

# %%
#| echo: false
from IPython.display import Markdown, display

from helpers.present import mapping, narrative, report, tables
from helpers.review import recaps

setup = report.setup(data_file, output_dir, min_cell_count)
df, min_count = setup.df, setup.min_count

# %%
#| echo: false
display(Markdown(setup.statement))

# %%
#| echo: false
# How each raw column and value of a researcher's file was read (nothing for the bundled file).
mapping.show(df, data_file, output_dir, min_cell_count)

# %%
#| echo: false
display(Markdown(narrative.sample_summary(df)))

# %%
#| label: tbl-sample
#| tbl-cap: "Characteristics of the analysed sample: n (%) of those who answered."
#| echo: false
tables.table_one(df, narrative.TABLE_ONE_COLUMNS, min_count=min_count)

# %% [markdown]
# ## Data dictionary
#
# The paper's exact survey items are not public. @tbl-dictionary gives each analysis variable
# as this report codes it; *published* means the abstract names the item, *assumed* means its
# wording, levels or existence are our reading of the survey. The first level listed is the
# reference level in every model. *Non-substantive* says what a "Don't know", "Prefer not to
# say" or "Not applicable" answer becomes (`non_substantive` in `data/codebook.yaml`): *missing*
# drops it from every complete-case sample.

# %%
#| label: tbl-dictionary
#| tbl-cap: "Analysis variables: role, type, levels (reference first), how non-substantive answers (Don't know, Prefer not to say, Not applicable) are coded, and whether the definition is published or assumed."
#| echo: false
tables.data_dictionary()

# %% [markdown]
# ## Recap

# %%
#| echo: false
display(Markdown(recaps.data(df)))
