"""Figures: structure only (axes scale, reference line, bars, labels), never pixels."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from helpers.analysis import describe, models
from helpers.present import plots, style
from helpers.data.codebook import load_codebook

from _random_survey import random_survey


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def make_survey(n: int = 300, seed: int = 9) -> pd.DataFrame:
    return random_survey(n, seed)


def top_to_bottom(ax) -> list[str]:
    """The y tick labels ordered from the top of the axes down."""
    ticks = zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()])
    return [label for _, label in sorted(ticks, key=lambda t: -t[0])]


@pytest.fixture(scope="module")
def survey():
    return make_survey()


@pytest.fixture(scope="module")
def exposure_rows(survey):
    stacked = pd.concat(
        [
            models.sequential(survey, "patient_outcomes_often", "aware_info_standard"),
            models.sequential(survey, "patient_outcomes_often", "seniority"),
        ],
        ignore_index=True,
    )
    return models.exposure_rows(stacked)


def test_style_is_not_applied_at_import():
    import importlib

    matplotlib.rcParams["font.size"] = 7.5
    importlib.reload(plots)
    assert matplotlib.rcParams["font.size"] == 7.5
    plots.use_report_style()
    assert matplotlib.rcParams["font.size"] == style.BASE_FONT_SIZE
    colors = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
    assert colors[:3] == style.CYCLE[:3]
    matplotlib.rcdefaults()


def test_forest_plot_structure(exposure_rows):
    fig = plots.forest_plot(exposure_rows)
    assert isinstance(fig, matplotlib.figure.Figure)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    verticals = [line for line in ax.lines if np.allclose(line.get_xdata(), 1.0)]
    assert len(verticals) == 1  # the reference line at OR = 1
    # Long labels are wrapped onto several lines; the words must be exactly the codebook's.
    labels = [" ".join(label.split()) for label in top_to_bottom(ax)]
    assert labels == [
        "Aware of the SP Information Standard",
        "Job seniority: Senior or lead link worker",
        "Job seniority: Manager or coordinator",
    ]
    # one errorbar series per model, one point per term in each
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Model 1", "Model 2", "Model 3"]
    points = [c for c in ax.containers if isinstance(c, matplotlib.container.ErrorbarContainer)]
    assert len(points) == 3 and all(len(c.lines[0].get_xdata()) == 3 for c in points)
    # Model 1 sits above Model 3 within a row, rows in the frame's order from the top
    m1, m3 = points[0].lines[0].get_ydata(), points[2].lines[0].get_ydata()
    assert np.all(m1 > m3) and m1[0] > m1[1] > m1[2]
    # x-axis tick labels are plain numbers
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert "1" in ticks and not any("times" in t or "^" in t for t in ticks)


def test_forest_plot_labels_terms_and_determinism(exposure_rows):
    fig = plots.forest_plot(exposure_rows, terms=["aware_info_standard[Yes]"], labels={"aware_info_standard": "Aware"})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Aware"]
    a = [c.lines[0].get_ydata().tolist() for c in plots.forest_plot(exposure_rows).axes[0].containers]
    b = [c.lines[0].get_ydata().tolist() for c in plots.forest_plot(exposure_rows).axes[0].containers]
    assert a == b
    with pytest.raises(ValueError):
        plots.forest_plot(exposure_rows, terms=["nothing"])


def test_diverging_likert(survey):
    dist = describe.likert_distribution(survey, ["patient_outcome_freq", "service_outcome_freq"])
    fig = plots.diverging_likert(dist)
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 2 * 5
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Never", "Rarely", "Sometimes", "Often", "Very often"]
    # Bars of the top item (y = 1), identified by colour: Never/Rarely left of 0, Sometimes
    # centred on 0, Often/Very often right of 0, each level further out than its neighbour.
    colour_to_level = {matplotlib.colors.to_hex(c): lv for c, lv in zip(style.LIKERT_COLORS, legend)}
    top = {colour_to_level[matplotlib.colors.to_hex(b.get_facecolor())]: b for b in bars if b.get_y() > 0.5}
    span = {lv: sorted([b.get_x(), b.get_x() + b.get_width()]) for lv, b in top.items()}
    assert span["Sometimes"][0] == pytest.approx(-span["Sometimes"][1])
    assert span["Rarely"][1] == pytest.approx(span["Sometimes"][0])
    assert span["Never"][1] == pytest.approx(span["Rarely"][0])
    assert span["Often"][0] == pytest.approx(span["Sometimes"][1])
    assert span["Very often"][0] == pytest.approx(span["Often"][1])
    assert span["Never"][0] < span["Rarely"][0] <= 0 <= span["Often"][1] < span["Very often"][1]
    assert top_to_bottom(ax) == ["Records patient-level outcomes", "Records service-level outcomes"]
    total = sum(abs(b.get_width()) for b in bars[:5])
    assert total == pytest.approx(100)


def test_bar_with_ci(survey):
    measures = describe.multiple_response(
        survey, load_codebook().option_set("measures"), population="uses_outcome_measures == 'Yes'"
    )
    fig = plots.bar_with_ci(measures)
    ax = fig.axes[0]
    assert len(ax.patches) == len(measures)
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, measures["percent"])
    assert top_to_bottom(ax) == measures["label"].tolist()  # first row on top
    whiskers = [c for c in ax.containers if isinstance(c, matplotlib.container.ErrorbarContainer)]
    assert len(whiskers) == 1
    timing = describe.frequency_table(survey, "recording_timing")
    fig = plots.bar_with_ci(timing)
    assert top_to_bottom(fig.axes[0]) == list(timing["level"])
