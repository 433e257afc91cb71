"""helpers.data.load_survey: every format gives the same canonical frame."""

from __future__ import annotations

import hashlib
import os
import shutil

import numpy as np
import pandas as pd
import pytest

from helpers import data, paths, validate
from helpers.data import load_survey
from helpers.data.names import canonical_name
from helpers.validate import SurveyValidationError

from bad_inputs.make_corpus import real_shaped, write_dta, write_sav, write_xlsx
from conftest import confirm_codes, labels_only, to_codes


def load(path, **kwargs):
    kwargs.setdefault("cache", False)
    return load_survey(path, **kwargs)


def same(df: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(df, expected, check_exact=True)


def numeric_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with the ids a numeric SPSS id column gives ('R007' -> '7')."""
    ids = frame["respondent_id"].map(lambda s: str(int(s[1:])))
    return frame.assign(respondent_id=pd.Series(ids.to_numpy(), dtype="str"))


# --------------------------------------------------------------------------------------------
# Formats round-trip to the same canonical frame
# --------------------------------------------------------------------------------------------


def test_csv_of_labels(valid_csv, valid_frame):
    same(load(valid_csv), valid_frame)


def test_csv_of_codes(tmp_path, valid_frame, codebook):
    """Codes other than 0 = No / 1 = Yes are refused until confirmed, then read right."""
    path = tmp_path / "codes.csv"
    to_codes(valid_frame).to_csv(path, index=False)
    with pytest.raises(SurveyValidationError) as err:
        load(path)
    refused = {p.columns[0] for p in err.value.details}
    coded = {v.name for v in codebook.variables.values() if v.is_categorical}
    assert refused == {n for n in coded if set(codebook[n].levels) != {"No", "Yes"}}
    confirm_codes(path)
    same(load(path), valid_frame)


def test_csv_with_bom_crlf_and_messy_labels(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    for c in ("patient_outcome_freq", "seniority", "age_group"):
        df[c] = df[c].map(lambda x: f"  {x.upper()}  " if isinstance(x, str) else x)
    df["age_group"] = df["age_group"].str.replace("-", "\u2013")  # en dash, as Word/Excel type it
    df.columns = [c.replace("_", " ").title() for c in df.columns]  # 'Patient Outcome Freq'
    path = tmp_path / "messy.csv"
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    same(load(path), valid_frame)


def test_xlsx(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    path = write_xlsx([list(df.columns)] + df.astype(object).values.tolist(), tmp_path / "survey.xlsx")
    same(load(path), valid_frame)


def test_real_shaped_spss_export(tmp_path, valid_frame):
    """Alias names (q10...), numeric ids, codes with value labels (binary 1=Yes 2=No, tick boxes
    1=Selected/blank), -99 'Prefer not to say' (declared user-missing for gender, only a codebook
    missing code elsewhere), not-asked measures exported as 2=No, platform columns."""
    shaped, labels, missing = real_shaped(valid_frame)
    assert "q10_patient_outcomes" in shaped and "patient_outcome_freq" not in shaped
    assert (shaped["q31_gender"] == -99).sum() == 2
    path = write_sav(shaped, tmp_path / "export.sav", labels, missing)
    df = load(path)
    same(df, numeric_ids(valid_frame))
    assert df.attrs["ignored_columns"] == ["StartDate", "Duration__in_seconds_"]


def test_spss_codes_without_labels_need_confirmation(tmp_path, valid_frame):
    shaped, labels, _ = real_shaped(valid_frame)
    for column in ("q10_patient_outcomes", "q35_role", "q20_aware_standard"):
        labels.pop(column)  # codes only: 1..5, 1..3, 1=Yes 2=No
    path = write_sav(shaped, tmp_path / "codes.sav", labels)
    with pytest.raises(SurveyValidationError) as err:
        load(path)
    assert [p.columns for p in err.value.details] == [
        ("patient_outcome_freq",),
        ("aware_info_standard",),
        ("seniority",),
    ]
    confirm_codes(path, "q10: codebook\nq35_role: codebook\naware_info_standard: {1: Yes, 2: No}\n")
    same(load(path), numeric_ids(valid_frame))


def test_stata_with_value_labels(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    cats = {c: pd.Categorical(df[c]) for c in df.columns if c != "respondent_id"}
    same(load(write_dta(df.assign(**cats), tmp_path / "labels.dta")), valid_frame)


def test_stata_of_codes(tmp_path, valid_frame):
    codes = to_codes(valid_frame)
    codes = codes.assign(**{c: codes[c].astype("float64") for c in codes.columns if c != "respondent_id"})
    path = write_dta(codes, tmp_path / "codes.dta")
    confirm_codes(path)
    same(load(path), valid_frame)


# --------------------------------------------------------------------------------------------
# The canonical frame
# --------------------------------------------------------------------------------------------


def test_canonical_dtypes_and_order(valid_csv, codebook):
    df = load(valid_csv)
    assert list(df.columns) == codebook.names + list(codebook.derived)
    assert isinstance(df.index, pd.RangeIndex) and df.index[0] == 0
    assert df["respondent_id"].dtype == "str"
    for v in codebook.variables.values():
        if v.type == "id":
            continue
        dtype = df[v.name].dtype
        assert isinstance(dtype, pd.CategoricalDtype), v.name
        assert list(dtype.categories) == list(v.levels), v.name
        assert dtype.ordered == (v.type == "ordinal"), v.name
    assert list(df["aware_info_standard"].cat.categories) == ["No", "Yes"]  # reference first
    assert df["patient_outcome_freq"].cat.categories[0] == "Never"
    assert df["patient_outcome_freq"].min() == "Never"  # ordered: comparisons work
    for d in codebook.derived:
        assert list(df[d].cat.categories) == ["No", "Yes"] and not df[d].cat.ordered


def test_missing_labels_and_codes_are_na(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    df["gender"] = df["gender"].astype(object)
    df.loc[0, "gender"] = "Prefer not to say"
    df.loc[1, "gender"] = "Don\u2019t know"  # curly apostrophe
    df.loc[2, "gender"] = "-99"
    df.loc[3, "gender"] = " n/a "
    df.loc[[0, 1, 2, 3], "recording_timing"] = "Not asked"
    path = tmp_path / "missing.csv"
    df.to_csv(path, index=False)
    out = load(path)
    assert out.loc[:3, "gender"].isna().all()
    assert out["gender"].isna().sum() == valid_frame["gender"].isna().sum() + sum(valid_frame.loc[:3, "gender"].notna())
    assert out.loc[:3, "recording_timing"].isna().all()


def test_missing_codes_in_a_csv_of_codes(tmp_path, valid_frame):
    codes = to_codes(valid_frame).astype(object)
    codes.loc[0, "age_group"] = -9
    codes.loc[1, "training"] = -1
    path = tmp_path / "codes.csv"
    codes.to_csv(path, index=False)
    confirm_codes(path)
    out = load(path)
    assert pd.isna(out.loc[0, "age_group"]) and pd.isna(out.loc[1, "training"])


def test_derived_columns(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    df["patient_outcome_freq"] = df["patient_outcome_freq"].astype(object)
    df.loc[5, "patient_outcome_freq"] = ""
    path = tmp_path / "derived.csv"
    df.to_csv(path, index=False)
    out = load(path)
    for name, source in (
        ("patient_outcomes_often", "patient_outcome_freq"),
        ("service_outcomes_often", "service_outcome_freq"),
    ):
        src = out[source]
        expected = np.where(src.isin(["Often", "Very often"]), "Yes", "No").astype(object)
        expected[src.isna().to_numpy()] = None
        assert out[name].astype(object).where(out[name].notna(), None).tolist() == list(expected)
    assert pd.isna(out.loc[5, "patient_outcomes_often"])
    assert (out["patient_outcomes_often"] == "Yes").sum() > 0


def test_derived_columns_in_the_file_must_agree(tmp_path, valid_frame):
    df = valid_frame.astype(object)
    path = tmp_path / "with_derived.csv"
    df.to_csv(path, index=False)
    same(load(path), valid_frame)  # carried and consistent: fine (recomputed)
    row = int(np.flatnonzero(valid_frame["patient_outcomes_often"] == "No")[0])
    df.loc[row, "patient_outcomes_often"] = "Yes"
    df.to_csv(path, index=False)
    with pytest.raises(SurveyValidationError, match=rf"column 'patient_outcomes_often': row {row + 1}: disagrees"):
        load(path)


def test_tick_boxes(tmp_path, valid_frame):
    """Blank options of an answered question are unticked (No); a question left wholly blank is
    NA; ticks exported as the option's text are Yes; measures of non-users are NA even if 'No'."""
    df = labels_only(valid_frame)
    helps = [c for c in df.columns if c.startswith("helps_")]
    answered = df[helps].notna().all(axis=1)
    df[helps] = df[helps].astype(object).where(df[helps] != "No", "")  # unticked -> blank
    df["helps_training"] = df["helps_training"].replace("Yes", "Training in outcome measurement")
    non_user = df["uses_outcome_measures"] == "No"
    df.loc[non_user, "measure_ons4"] = "No"
    path = tmp_path / "ticks.csv"
    df.to_csv(path, index=False)
    out = load(path)
    same(out, valid_frame)
    assert out.loc[~answered, helps].isna().all().all()


def test_column_names_match_aliases_loosely(codebook):
    assert canonical_name("Q10", codebook) == "patient_outcome_freq"
    assert canonical_name(" Patient Outcome-Freq ", codebook) == "patient_outcome_freq"
    assert canonical_name("RESPONSE ID", codebook) == "respondent_id"
    assert canonical_name("Q14.1", codebook) == "measure_ons4"
    assert canonical_name("q14 ons4", codebook) == "measure_ons4"
    assert canonical_name("StartDate", codebook) is None
    assert codebook.is_ignored("Duration (in seconds)") and codebook.is_ignored("startdate")
    # Every name and alias reaches its own variable (no ambiguity once punctuation is dropped).
    for v in codebook.variables.values():
        for name in (v.name, *v.aliases):
            assert canonical_name(name, codebook) == v.name, name
            assert canonical_name(name.upper().replace("_", " "), codebook) == v.name, name


# --------------------------------------------------------------------------------------------
# Provenance, the raw file, the cache
# --------------------------------------------------------------------------------------------


def test_source_real_and_synthetic(tmp_path, valid_csv, monkeypatch):
    sha = hashlib.sha256(valid_csv.read_bytes()).hexdigest()
    df = load(valid_csv, manifest=tmp_path / "absent.yaml")
    assert df.attrs["source"] == "real"
    assert df.attrs["file"] == "survey_valid.csv"
    assert df.attrs["sha256"] == sha
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(f"seed: 2025\nfiles:\n  survey_2025_synthetic.csv:\n    sha256: {sha.upper()}\n")
    assert load(valid_csv, manifest=manifest).attrs["source"] == "synthetic"
    monkeypatch.setattr(paths, "SYNTHETIC_MANIFEST", manifest)
    monkeypatch.setattr(paths, "SYNTHETIC_DATA", valid_csv)
    df = load(None)
    assert df.attrs["source"] == "synthetic" and df.attrs["file"] == "survey_valid.csv"
    manifest.write_text("sha256: 0000\n")
    assert load(valid_csv).attrs["source"] == "real"
    assert all(str(tmp_path) not in str(v) for v in df.attrs.values())


def test_raw_file_is_never_modified(tmp_path, valid_frame, monkeypatch):
    monkeypatch.setattr(paths, "ROOT", tmp_path / "root")  # the cache goes there
    shaped, labels, missing = real_shaped(valid_frame)
    path = write_sav(shaped, tmp_path / "export.sav", labels, missing)
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    load(path)
    load(path, cache=True)
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.sav"]  # and no copy of it anywhere


def test_real_data_are_cached_only_inside_a_build_output_folder(tmp_path, valid_csv, monkeypatch):
    monkeypatch.setattr(paths, "ROOT", tmp_path / "root")
    monkeypatch.delenv("HELPERS_SURVEY_CACHE_DIR", raising=False)
    assert load_survey(valid_csv, cache=True).attrs["source"] == "real"
    assert not (tmp_path / "root").exists()  # no pickle of the microdata in <repo>/.build/cache
    assert validate.main([str(valid_csv)]) == 0
    assert not (tmp_path / "root").exists()
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(f"sha256: {data.file_sha256(valid_csv)}\n")
    assert load_survey(valid_csv, cache=True, manifest=manifest).attrs["source"] == "synthetic"
    assert len(list((tmp_path / "root" / ".build" / "cache").glob("survey-*.pkl"))) == 1


def test_cache_reuses_a_load(tmp_path, valid_csv, valid_frame, monkeypatch):
    monkeypatch.setattr(paths, "ROOT", tmp_path / "root")
    monkeypatch.setenv("HELPERS_SURVEY_CACHE_DIR", str(tmp_path / "out" / ".build" / "cache"))
    first = load_survey(valid_csv, cache=True)
    files = list((tmp_path / "out" / ".build" / "cache").glob("survey-*.pkl"))
    assert len(files) == 1 and not list(files[0].parent.glob(".tmp-*"))

    def no_reading(*args, **kwargs):
        raise AssertionError("read again instead of using the cache")

    monkeypatch.setattr(data.load, "read_canonical", no_reading)
    copy = tmp_path / "renamed.csv"
    shutil.copy(valid_csv, copy)
    again = load_survey(copy, cache=True)
    same(again, valid_frame)
    assert again.attrs["file"] == "renamed.csv" and first.attrs["file"] == "survey_valid.csv"
    monkeypatch.setenv("HELPERS_SURVEY_CACHE", "0")
    with pytest.raises(AssertionError, match="read again"):
        load_survey(copy)
    files[0].write_bytes(b"garbage")  # a corrupt entry is ignored, not trusted
    monkeypatch.undo()
    monkeypatch.setattr(paths, "ROOT", tmp_path / "root")
    monkeypatch.setenv("HELPERS_SURVEY_CACHE_DIR", str(tmp_path / "out" / ".build" / "cache"))
    same(load_survey(valid_csv, cache=True), valid_frame)


def test_invalid_file_raises_with_problems(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    df["gender"] = df["gender"].astype(object)
    df.loc[2, "gender"] = "Femal"
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    with pytest.raises(SurveyValidationError) as info:
        load(path)
    err = info.value
    assert err.file == "bad.csv"
    assert err.problems == [
        "bad.csv: column 'gender': row 3: unknown label 'Femal': did you mean "
        "'Female'? (expected one of Female, Male, Another gender)"
    ]


def test_non_utf8_and_utf16(tmp_path, valid_frame):
    path = tmp_path / "utf16.csv"
    labels_only(valid_frame).to_csv(path, index=False, encoding="utf-16")
    with pytest.raises(SurveyValidationError, match="UTF-16"):
        load(path)


@pytest.mark.skipif(not paths.SYNTHETIC_DATA.exists(), reason="synthetic data not generated yet")
def test_the_bundled_synthetic_file_loads():
    df = load(None)
    assert df.attrs["file"] == paths.SYNTHETIC_DATA.name
    if paths.SYNTHETIC_MANIFEST.exists():
        assert df.attrs["source"] == "synthetic"
