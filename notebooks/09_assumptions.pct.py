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
# # Assumptions and the specification grid {#sec-assumptions}
#
# The abstract [@fancourt2026] fixes the figures but not the analysis behind them: which outcome
# each odds ratio belongs to, which of the sequentially adjusted models it comes from, whether the
# exposures were fitted one at a time, how the outcome was cut, how "Don't know" and small groups
# were handled. This chapter puts those choices in the open. It lists every one of them (the
# *primary (assumed) specification* the other chapters use, the alternatives, the evidence and
# the single place to change it), fits every combination of the open choices and scores each
# against every published figure, asks what the abstract's own numbers reveal about the analysis,
# and sets absolute effects beside the odds ratios.

# %% tags=["parameters"]
data_file = None
output_dir = None
seed = 2025
min_cell_count = 5

# %%
#| echo: false
from IPython.display import Markdown, display

from helpers.analysis import analyses, spec
from helpers.present import alt_text, figures, plots, report
from helpers.present.prose import is_synthetic
from helpers.review import abstract_audit, assumptions, effects, grid, scorecard

setup = report.setup(data_file, output_dir, min_cell_count)
df = setup.df
plots.use_report_style()
choices = spec.load_spec()
register = assumptions.register(choices)
specs = grid.fit_grid(df, choices)
summary = grid.consistency(specs)
absolute = effects.absolute_effects(df)
information = abstract_audit.information_limit(df)
symmetry = abstract_audit.ci_symmetry(df)
wording = abstract_audit.times_more_likely(absolute)
fits = analyses.fit_associations(df, kind="logistic")
null_rows = effects.null_predictor_rows(fits)
blocks = effects.all_block_tests(df)

# %%
#| echo: false
display(Markdown(scorecard.data_statement(df, min_cell_count)))

# %% [markdown]
# ## The assumptions register
#
# @tbl-register lists every choice of the analysis specification, `data/analysis_spec.yaml`. That
# file is read by the analysis only: the synthetic generator is calibrated from
# `data/published/targets.yaml` and never reads it, so the specification can be edited for a real
# survey file without touching the synthetic data. The outcome mapping and the model level can be
# changed there for every chapter; the other grid choices' alternatives are fitted in this chapter.
# @tbl-calibration lists what the synthetic file itself assumes where the abstract is silent; on a
# real file the data decide those. The scorecard (chapter 6) names, for each published figure,
# the assumptions its reproduction rests on.

# %%
#| label: tbl-register
#| tbl-cap: "The assumptions register: each open choice, the primary (assumed) specification and the alternatives; the evidence and where to change each follow the table."
#| echo: false
assumptions.register_table(register)

# %%
#| echo: false
display(Markdown(assumptions.evidence_markdown(register)))

# %%
#| label: tbl-calibration
#| tbl-cap: "What the synthetic file was calibrated to where the abstract is silent: each figure's entry in data/published/targets.yaml (change it there, then make synth); the outcome and model of each odds ratio are now analysis choices."
#| echo: false
assumptions.calibration_table(assumptions.calibration_assumptions())

# %% [markdown]
# ## The specification grid
#
# Every combination of the choices marked as in the grid in @tbl-register is fitted through the
# project's model functions, and each published odds ratio is scored with the scorecard's rules:
# z on the log scale against the standard error its printed interval implies, the ratio of the
# interval widths, and whether the significance decision agrees. The two printed outcome shares
# that the cut-point decides are recomputed too. @fig-spec-curve shows each odds ratio across
# the grid; @tbl-consistent lists the specifications that agree with every published figure
# (every decision the same, no major difference). Every row is written to `specifications.csv`.

# %%
#| label: fig-spec-curve
#| fig-cap: "Specification curve: each published odds ratio under every specification of the grid, sorted, with 95% CIs; grey band and dashed line: the published CI and OR; diamond: the primary (assumed) specification."
#| echo: false
figures.show(grid.spec_curve(specs), alt_text.spec_curve(specs, grid.claim_labels()))

# %%
#| echo: false
display(Markdown(grid.summary_sentence(specs, is_synthetic(df))))

# %%
#| label: tbl-consistent
#| tbl-cap: "The specifications consistent with every published figure they compute (largest |z| over the published odds ratios)."
#| echo: false
grid.consistent_table(specs)

# %%
#| echo: false
display(Markdown(grid.decision_changes(specs, choices)))

# %%
#| echo: false
specs_file = grid.write_csv(specs, setup.output_folder(), setup.min_count)
display(
    Markdown(
        f"The grid ({specs['spec_id'].nunique()} specifications, {len(specs)} rows) is written to `{specs_file.name}` in the output folder."
    )
)

# %% [markdown]
# ## What the abstract itself reveals
#
# Three checks need no survey data beyond the margins the abstract prints. @tbl-information sets
# each printed standard error beside the smallest one any 2 x 2 table of the sample can have
# with the outcome's published margin and the published odds ratio. @tbl-symmetry checks the
# intervals' symmetry on the log scale, the signature of Wald intervals, against profile-likelihood
# intervals of the same models. @tbl-wording sets the abstract's "times more likely" beside the
# standardised risk ratios.

# %%
#| label: tbl-information
#| tbl-cap: "The information limit: printed SE(log OR) against the smallest SE of a crude 2 x 2 table with the published margins (ranges: rounding of the printed figures)."
#| echo: false
abstract_audit.information_table(information)

# %%
#| echo: false
display(Markdown(abstract_audit.information_sentence(information)))

# %%
#| label: tbl-symmetry
#| tbl-cap: "CI symmetry: printed asymmetry ln(hi/OR) - ln(OR/lo) and its rounding range (0 for a Wald CI), against profile-likelihood CIs of the primary models in this file."
#| echo: false
abstract_audit.symmetry_table(symmetry)

# %%
#| echo: false
display(Markdown(abstract_audit.symmetry_sentence(symmetry)))

# %%
#| label: tbl-wording
#| tbl-cap: "The abstract's 'times more likely' against standardised risk ratios of the primary models."
#| echo: false
abstract_audit.wording_table(wording)

# %%
#| echo: false
display(
    Markdown(
        abstract_audit.wording_sentence(wording)
        + "\n\n"
        + abstract_audit.change_sentence(abstract_audit.change_since_2023())
    )
)

# %% [markdown]
# ## Absolute effects
#
# An odds ratio of a common outcome overstates the ratio of risks. @tbl-absolute gives, for each
# published association in its primary model, the standardised risks (the average predicted risk
# with everyone exposed and with no one exposed), their ratio and their difference, with
# delta-method 95% CIs.

# %%
#| label: tbl-absolute
#| tbl-cap: "Absolute effects beside each odds ratio: standardised risks, risk ratio and risk difference (95% CI), primary (assumed) specification."
#| echo: false
effects.absolute_display(absolute)

# %% [markdown]
# ## The null predictors and the sequential blocks
#
# The abstract names predictors that did not reach significance. @tbl-null-or gives their odds
# ratios and intervals in the primary model of each association: what the data can and cannot
# rule out. @tbl-blocks tests each block of confounders the sequential models add with a
# likelihood-ratio test.

# %%
#| label: tbl-null-or
#| tbl-cap: "The non-significant predictors of the abstract: odds ratios (95% CI) in Model 3 of each association."
#| echo: false
effects.null_display(null_rows)

# %%
#| echo: false
display(Markdown(effects.null_range_sentence(null_rows)))

# %%
#| label: tbl-blocks
#| tbl-cap: "Likelihood-ratio tests of each block added by the sequential models (shared complete-case sample)."
#| echo: false
effects.block_display(blocks)

# %%
#| echo: false
display(Markdown(effects.block_sentence(blocks)))

# %% [markdown]
# ## What this chapter found

# %%
#| echo: false
display(
    Markdown(
        assumptions.findings(summary, specs[specs["kind"] == "odds_ratio"], information, wording, is_synthetic(df))
    )
)
