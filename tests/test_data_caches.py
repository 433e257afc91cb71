"""What the data layer keeps between loads (the manifest's hashes, what it derives from a
codebook) follows its inputs: an edited manifest or a changed codebook is read as it now is."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from helpers.data import file_sha256, load_survey, source_of
from helpers.datafile import data_source
from helpers.data.checks import SurveyValidationError

from conftest import confirm_codes, labels_only, to_codes


def load(path, **kwargs):
    return load_survey(path, cache=False, **kwargs)


def with_variable(codebook, name, **changes):
    variables = dict(codebook.variables)
    variables[name] = dataclasses.replace(variables[name], **changes)
    return dataclasses.replace(codebook, variables=variables)


def test_an_edited_manifest_is_read_again(tmp_path, valid_csv):
    sha = file_sha256(valid_csv)
    other = "0" * len(sha)
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(f"sha256: {sha}\n")
    assert source_of(sha, manifest) == "synthetic"
    manifest.write_text(f"sha256: {other}\n")  # same path, same size
    assert source_of(sha, manifest) == "real"
    assert load(valid_csv, manifest=manifest).attrs["source"] == "real"
    manifest.write_text(f"files:\n  - sha256: {sha}\n")
    assert load(valid_csv, manifest=manifest).attrs["source"] == "synthetic"
    assert data_source(valid_csv, manifest) == "synthetic"
    manifest.write_text(f"sha256: {other}\n")
    assert data_source(valid_csv, manifest) == "real"  # the file's hash is kept, not its source
    manifest.unlink()
    assert source_of(sha, manifest) == "real"


def test_a_codebook_with_other_levels_checks_the_file_its_way(tmp_path, valid_frame, codebook):
    gender = codebook.variables["gender"]
    more = with_variable(codebook, "gender", levels=(*gender.levels, "Non-binary"))
    labels = labels_only(valid_frame)
    typo, new_level = labels.copy(), labels.copy()
    typo.loc[2, "gender"] = "Femal"
    new_level.loc[[3, 7], "gender"] = "Non-binary"
    typo.to_csv(typo_csv := tmp_path / "typo.csv", index=False)
    new_level.to_csv(new_csv := tmp_path / "new_level.csv", index=False)

    # Each codebook in turn, each after the other has checked the same column.
    for book in (more, codebook, more, codebook):
        with pytest.raises(SurveyValidationError) as err:
            load(typo_csv, codebook=book)
        assert [line for line in err.value.problems if "column 'gender'" in line] == [
            f"typo.csv: column 'gender': row 3: unknown label 'Femal': did you mean 'Female'? "
            f"(expected one of {', '.join(book['gender'].levels)})"
        ]
        if book is more:
            read = load(new_csv, codebook=book)["gender"]
            assert list(read.cat.categories) == list(more["gender"].levels) and (read == "Non-binary").sum() == 2
        else:
            with pytest.raises(SurveyValidationError) as err:
                load(new_csv, codebook=book)
            assert any(
                line.startswith("new_level.csv: column 'gender': rows 4, 8: unknown label 'Non-binary'")
                for line in err.value.problems
            )
    fewer = with_variable(codebook, "gender", levels=("Male", "Another gender"))
    with pytest.raises(SurveyValidationError) as err:
        load(new_csv, codebook=fewer)
    assert any("column 'gender'" in line and "unknown label 'Female'" in line for line in err.value.problems)


def test_a_codebook_with_other_codes_reads_the_file_its_way(tmp_path, valid_frame, codebook):
    path = tmp_path / "codes.csv"
    to_codes(valid_frame, codebook).to_csv(path, index=False)
    confirm_codes(path)  # "*": codebook: the codebook's codes are this file's
    read = load(path, codebook=codebook)["gender"]
    swapped = with_variable(codebook, "gender", codes={1: "Male", 2: "Female", 3: "Another gender"})
    read_swapped = load(path, codebook=swapped)["gender"]
    flip = {"Female": "Male", "Male": "Female", "Another gender": "Another gender"}
    assert read_swapped.isna().equals(read.isna())
    assert list(read_swapped.dropna()) == [flip[x] for x in read.dropna()]
    pd.testing.assert_series_equal(load(path, codebook=codebook)["gender"], read)


def test_a_changed_skip_condition_is_applied(valid_csv, codebook):
    base = load(valid_csv, codebook=codebook)
    condition = codebook.variables["measure_pam"].asked_if
    assert condition == "uses_outcome_measures == 'Yes'"
    asked_of_no = {n: "uses_outcome_measures == 'No'" for n in codebook.option_set(codebook["measure_pam"].set)}
    variables = {
        n: dataclasses.replace(v, asked_if=asked_of_no[n]) if n in asked_of_no else v
        for n, v in codebook.variables.items()
    }
    changed = dataclasses.replace(codebook, variables=variables)
    # Those who use measures ticked measures: asked only if they do not, that is a skip-logic error.
    with pytest.raises(SurveyValidationError) as err:
        load(valid_csv, codebook=changed)
    assert any("ticked although uses_outcome_measures is 'Yes'" in line for line in err.value.problems)
    pd.testing.assert_frame_equal(load(valid_csv, codebook=codebook), base)
