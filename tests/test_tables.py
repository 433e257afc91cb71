"""Tables: formatting, small-cell suppression, structure and labels of each table, and HTML that
pandoc turns into a Typst table."""

from __future__ import annotations

import re
import subprocess

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import describe, models
from helpers.present import disclosure, tables
from helpers.data.codebook import load_codebook

from _random_survey import YES_NO, random_survey


def make_survey(n: int = 240, seed: int = 4) -> pd.DataFrame:
    frame = random_survey(n, seed)
    frame.loc[:3, "age_group"] = np.nan
    return frame


@pytest.fixture(scope="module")
def survey():
    return make_survey()


@pytest.fixture(scope="module")
def stacked(survey):
    return pd.concat(
        [
            models.sequential(survey, "patient_outcomes_often", "aware_info_standard"),
            models.sequential(survey, "service_outcomes_often", "education"),
        ],
        ignore_index=True,
    )


def html_of(gt) -> str:
    return gt.as_raw_html()


def assert_plain_table(html: str) -> None:
    assert html.count("<table") == 1 and html.count("</table>") == 1  # no nested tables
    assert "<thead" in html and "<tbody" in html
    assert "<img" not in html.lower() and "<svg" not in html.lower()


# -------------------------------------------------------------------------------- formatting


def test_format_or_and_p():
    assert tables.format_or(2.2934, 1.528, 3.4249) == "2.29 (1.53\u20133.42)"
    assert tables.format_or(np.nan, 1, 2) == ""
    assert tables.format_p(0.0004) == "<0.001"
    assert tables.format_p(0.0123) == "0.012"
    assert tables.format_p(0.3399) == "0.340"
    assert tables.format_p(np.nan) == ""
    assert tables.format_count(235, 57.46) == "235 (57.5%)"


def test_suppress_small_cells_numeric():
    freq = pd.DataFrame(
        {
            "level": ["a", "b", "c"],
            "n": [0, 3, 40],
            "percent": [0.0, 7.0, 93.0],
            "ci_low": [0, 2, 80],
            "ci_high": [8, 19, 97],
            "denominator": [43] * 3,
        }
    )
    out = tables.suppress_small_cells(freq, 5)
    assert out.loc[1, ["n", "percent", "ci_low", "ci_high"]].tolist() == ["<5"] * 4
    assert out.loc[0, "n"] == 0 and out.loc[2, "n"] == 40  # zeros and large counts kept
    assert out.loc[2, "denominator"] == 43
    assert tables.suppress_small_cells(freq, 0).equals(freq)


def test_suppress_small_cells_formatted_strings():
    frame = pd.DataFrame({"label": ["x", "y"], "Overall": ["3 (1.2%)", "240 (98.8%)"], "g": ["12/40", "2/40"]})
    out = tables.suppress_small_cells(frame, 5, count_columns=[])
    assert out["Overall"].tolist() == ["<5", "240 (98.8%)"]
    assert out["g"].tolist() == ["12/40", "<5"]
    assert out["label"].tolist() == ["x", "y"]


# --------------------------------------------------------------------------------- table one


def test_table_one_denominators_and_groups(survey):
    frame = tables.table_one_frame(survey, ["age_group", "gender"], by="training")
    assert list(frame.columns[:3]) == ["variable", "label", "level"]
    groups = list(frame.columns[3:])
    assert groups[0] == "Overall" and len(groups) == 3
    age = frame.loc[frame["variable"] == "age_group"].set_index("level")
    assert list(age.index) == ["18-34", "35-44", "45-54", "55+", "Missing"]
    assert age.loc["Missing", "Overall"] == "4"
    n = int((survey["age_group"] == "18-34").sum())
    assert age.loc["18-34", "Overall"] == f"{n} ({100 * n / (len(survey) - 4):.1f}%)"  # of those answering
    assert "Missing" not in set(frame.loc[frame["variable"] == "gender", "level"])
    gt = tables.table_one(survey, ["age_group", "gender"], by="training")
    html = html_of(gt)
    assert_plain_table(html)
    assert "Age group" in html and f"Overall (n = {len(survey)})" in html


def test_table_one_suppression(survey):
    small = survey.iloc[:30]
    frame = tables.table_one_frame(small, ["ethnicity"], min_count=10)
    answers = frame.loc[frame["level"] != "Missing", "Overall"].tolist()
    assert all(c == disclosure.MARKER or int(c.split()[0]) >= 10 for c in answers)
    assert answers.count(disclosure.MARKER) != 1  # never one hidden cell alone: 30 - the others gives it
    # item non-response is shown: the percentages of the answers give the denominator away anyway
    missing = int(small["ethnicity"].isna().sum())
    assert frame.loc[frame["level"] == "Missing", "Overall"].tolist() == ([str(missing)] if missing else [])


# ------------------------------------------------------------------------------- OR table


def test_or_table_frame_structure(stacked, survey):
    frame = tables.or_table_frame(models.exposure_rows(stacked))
    assert list(frame.columns) == [
        "outcome",
        "label",
        "Model 1 OR (95% CI)",
        "Model 1 p",
        "Model 2 OR (95% CI)",
        "Model 2 p",
        "Model 3 OR (95% CI)",
        "Model 3 p",
        "n",
    ]
    assert frame["label"].tolist() == [
        "Aware of the SP Information Standard",
        "Highest qualification: Below degree (ref)",
        "Highest qualification: Degree",
        "Highest qualification: Postgraduate",
    ]
    assert frame.loc[1, "Model 2 OR (95% CI)"] == "1.00 (ref)"
    assert re.fullmatch(r"\d+\.\d{2} \(\d+\.\d{2}\u2013\d+\.\d{2}\)", frame.loc[0, "Model 3 OR (95% CI)"])
    assert frame["outcome"].iloc[0] == load_codebook().label("patient_outcomes_often")
    expected_n = stacked.loc[stacked["outcome"] == "patient_outcomes_often", "n"].iloc[0]
    assert frame["n"].iloc[0] == str(expected_n) == str(len(survey) - 4)  # shared complete cases


def test_or_table_labels_and_gt(stacked):
    labels = {"aware_info_standard": "Aware of the Standard", "education": "Education"}
    frame = tables.or_table_frame(models.exposure_rows(stacked), labels)
    assert frame["label"].tolist()[:3] == [
        "Aware of the Standard",
        "Education: Below degree (ref)",
        "Education: Degree",
    ]
    gt = tables.or_table(models.exposure_rows(stacked), labels)
    html = html_of(gt)
    assert_plain_table(html)
    for model in ("Model 1", "Model 2", "Model 3"):
        assert model in html  # spanners
    assert html == html_of(tables.or_table(models.exposure_rows(stacked), labels))  # deterministic


def test_or_table_marks_firth():
    frame = pd.DataFrame(
        {
            "x": pd.Categorical(["No"] * 20 + ["Yes"] * 20, dtype=YES_NO),
            "y": pd.Categorical(["No"] * 20 + ["Yes"] * 20, dtype=YES_NO),
        }
    )
    seq = models.sequential(frame, "y", "x", demographics=[], job=[])
    out = tables.or_table_frame(models.exposure_rows(seq))
    assert out["Model 1 OR (95% CI)"].iloc[0].endswith("\u2020")
    assert "Firth" in html_of(tables.or_table(models.exposure_rows(seq)))


# ------------------------------------------------------------------------ other tables


def test_frequency_table_gt(survey):
    freq = describe.frequency_table(survey, "recording_timing")
    frame = tables.frequency_table_frame(freq)
    assert list(frame.columns) == ["label", "n", "denominator", "percent", "95% CI"]
    assert frame["label"].tolist() == list(load_codebook()["recording_timing"].levels)
    assert_plain_table(html_of(tables.frequency_table_gt(freq)))
    dist = describe.likert_distribution(survey, ["patient_outcome_freq", "service_outcome_freq"])
    grouped = tables.frequency_table_frame(dist)
    assert list(grouped.columns[:2]) == ["group", "label"] and len(grouped) == 10
    suppressed = tables.frequency_table_frame(freq.assign(n=[3, 100, 137], denominator=240), min_count=5)
    assert suppressed.loc[0, ["n", "percent", "95% CI"]].tolist() == [disclosure.MARKER] * 3
    # the complement: the smallest other level, else 240 - 100 - 137 = 3
    assert suppressed.loc[1, ["n", "percent", "95% CI"]].tolist() == [disclosure.MARKER] * 3
    assert suppressed.loc[2, "n"] == 137


def test_wald_and_brant_tables(survey):
    from helpers.analysis.brant import brant_test

    wald = models.wald_test_terms(survey, "patient_outcomes_often", "aware_info_standard", ["education", "training"])
    frame = tables.wald_table_frame(wald)
    assert frame["term"].tolist() == [
        "Aware of the SP Information Standard",
        "Highest qualification",
        "Received outcome-measurement or link-worker training",
    ]
    assert list(frame.columns) == ["term", "chi2", "df", "p", "n"]
    assert_plain_table(html_of(tables.wald_table(wald)))
    brant = brant_test(survey, "patient_outcome_freq", "aware_info_standard", ["training"])
    bframe = tables.brant_table_frame(brant)
    assert bframe["term"].iloc[0] == "Omnibus"
    assert_plain_table(html_of(tables.brant_table(brant)))


def test_multiple_response_by(survey):
    columns = load_codebook().option_set("helps")
    frame = tables.multiple_response_by_frame(survey, columns, by="patient_outcomes_often")
    assert len(frame) == len(columns)
    assert frame.columns[2].startswith("Overall (n = ")
    assert any(c.endswith(f"(n = {int((survey['patient_outcomes_often'] == 'Yes').sum())})") for c in frame.columns)
    assert_plain_table(html_of(tables.multiple_response_by(survey, columns, by="patient_outcomes_often")))


def test_data_dictionary():
    frame = tables.data_dictionary_frame()
    book = load_codebook()
    assert len(frame) == len(book.variables) + len(book.derived)
    row = frame.set_index("name").loc["education"]
    assert row["levels"].startswith("Below degree")  # reference first
    assert row["non-substantive"] == "missing"  # the codebook default: Don't know etc. -> missing
    assert_plain_table(html_of(tables.data_dictionary()))


def test_data_dictionary_states_a_variable_s_own_non_substantive_coding(tmp_path):
    from helpers import paths

    text = paths.CODEBOOK.read_text(encoding="utf-8").replace(
        """non_substantive: { "Don't know": missing }""", """non_substantive: { "Don't know": "No" }"""
    )
    assert 'Don\'t know": "No"' in text
    (tmp_path / "codebook.yaml").write_text(text, encoding="utf-8")
    frame = tables.data_dictionary_frame(load_codebook(tmp_path / "codebook.yaml")).set_index("name")
    assert frame.loc["aware_info_standard", "non-substantive"] == (
        "Don't know: No; Prefer not to say, Not applicable: missing"
    )
    assert frame.loc["shares_outcomes", "non-substantive"] == "missing"


# ---------------------------------------------------------------- pandoc -> Typst survives


def test_pandoc_turns_the_html_into_a_typst_table(stacked):
    pypandoc = pytest.importorskip("pypandoc")
    try:
        pandoc = pypandoc.get_pandoc_path()
    except OSError:
        pytest.skip("no pandoc binary")
    html = html_of(tables.or_table(models.exposure_rows(stacked)))
    result = subprocess.run(
        [pandoc, "-f", "html", "-t", "typst"], input=html, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    typst = result.stdout
    assert typst.count("table(") == 1
    assert "table.header(" in typst and "colspan: 2" in typst  # model spanners kept
    assert "Highest qualification: Degree" in typst
