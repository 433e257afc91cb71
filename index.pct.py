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
# <!-- This line keeps Quarto from taking the heading below as the title and dropping {.unnumbered}. -->
#
# # Preface {.unnumbered}
#
# This is a literate, re-executable companion to Fancourt and Bu's study of how social
# prescribing link workers in England record and monitor outcomes [@fancourt2026]. Each chapter
# is a Jupyter notebook that recomputes one section of the paper's results from a survey file:
# the sample, the patterns of outcome monitoring, the logistic and ordinal models of what
# predicts it, what link workers say would help, a figure-by-figure reproduction scorecard, a
# comparison with the 2023 survey wave [@nhse2023], and robustness checks.

# %% tags=["parameters"]
data_file = None
output_dir = None
seed = 2025
min_cell_count = 5

# %%
#| echo: false
from IPython.display import Markdown, display

from helpers.present import narrative, report
from helpers.review import summary

setup = report.setup(data_file, output_dir, min_cell_count)
df = setup.df

# %%
#| echo: false
display(Markdown(summary.front_page(df, seed)))

# %% [markdown]
# ## What the data are
#
# The survey's microdata are not public: only the paper's abstract is. The bundled dataset is
# therefore invented respondents, calibrated so that every percentage and odds ratio printed in
# the abstract comes out of the analysis. Where the abstract is silent (question wording, the
# distribution of demographics, the measures other than ONS4) the values are assumptions, listed
# in the data dictionary and in `data/published/targets.yaml`. A researcher with the real survey
# file can run the same notebooks on it (below).

# %% [markdown]
# ## How to reproduce
#
# ```
# make report        # execute the notebooks, render the HTML and PDF
# make test          # unit tests, R reference checks, nbval
# make report DATA=data/real/survey.sav   # the same report on the real file
# ```
#
# The notebooks under `notebooks/` are paired Jupytext files: the `.py` is the source, the
# `.ipynb` is executed by the build and checked by nbval (`pytest --nbval notebooks/`).

# %% [markdown]
# ## How to cite
#
# Cite the study itself [@fancourt2026]; cite this report through its `CITATION.cff`.

# %%
#| echo: false
display(Markdown(narrative.provenance(df, seed)))

# %%
#| echo: false
display(Markdown(narrative.software_versions()))
