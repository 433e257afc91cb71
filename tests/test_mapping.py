"""Numeric codes are never guessed (helpers.data.codemap), non-substantive answers are a stated
choice, and the mapping report (helpers.present.mapping) lists every column and code with its count.

Every export here is generated: pandas writes the CSVs, pyreadstat the labelled SPSS files."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from helpers import paths
from helpers.present import mapping
from helpers.data.codebook import load_codebook
from helpers.data.codemap import codes_file
from helpers.data import load_survey
from helpers.validate import SurveyValidationError, main

from bad_inputs.make_corpus import write_sav
from conftest import confirm_codes, labels_only, to_codes

FREQ = ["Never", "Rarely", "Sometimes", "Often", "Very often"]


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch):
    monkeypatch.setenv("HELPERS_SURVEY_CACHE", "0")
    monkeypatch.delenv("HELPERS_DEBUG", raising=False)


def load(path, **kwargs):
    return load_survey(path, **kwargs)


def refusal(path) -> list[str]:
    with pytest.raises(SurveyValidationError) as err:
        load(path)
    return err.value.problems


def same(df, expected):
    pd.testing.assert_frame_equal(df, expected, check_exact=True)


def coded_1_no_2_yes(valid_frame, column="aware_info_standard") -> pd.DataFrame:
    """A CSV of labels in which one Yes/No item is exported as codes 1 = No, 2 = Yes."""
    df = labels_only(valid_frame)
    df[column] = df[column].map({"No": 1, "Yes": 2})
    return df


# --------------------------------------------------------------------------------------------
# A 1 = No / 2 = Yes CSV
# --------------------------------------------------------------------------------------------


def test_1_no_2_yes_csv_is_refused_with_one_line_naming_column_and_codes(tmp_path, valid_frame):
    path = tmp_path / "export.csv"
    coded_1_no_2_yes(valid_frame).to_csv(path, index=False)
    n_no = int((valid_frame["aware_info_standard"] == "No").sum())
    n_yes = int((valid_frame["aware_info_standard"] == "Yes").sum())
    lines = refusal(path)
    assert lines == [
        f"export.csv: column 'aware_info_standard': numeric codes without value labels: 1 ({n_no} rows), "
        f"2 ({n_yes} rows); reading them as the codebook does (1=Yes, 2=No) would be a guess, as a Yes/No "
        "item exported as 1/2 is coded 1 = No, 2 = Yes as often as the reverse: confirm the codes in "
        "export.csv.codes.yaml next to the data file (see data/real/README.md), or export the value labels"
    ]


def test_1_no_2_yes_csv_reads_right_once_confirmed(tmp_path, valid_frame):
    path = tmp_path / "export.csv"
    coded_1_no_2_yes(valid_frame).to_csv(path, index=False)
    confirm_codes(path, 'aware_info_standard: {1: "No", 2: "Yes"}\n')
    same(load(path), valid_frame)
    # Confirming the codebook's reading instead is taken at its word (and gives the inverse):
    # the confirmation, not the loader, decides.
    confirm_codes(path, "aware_info_standard: codebook\n")
    inverse = load(path)["aware_info_standard"].astype(object)
    expected = valid_frame["aware_info_standard"].astype(object).map({"No": "Yes", "Yes": "No"})
    assert inverse.tolist() == expected.tolist()


def test_a_codebook_edit_confirms_the_codes_too(tmp_path, valid_frame):
    text = paths.CODEBOOK.read_text(encoding="utf-8").replace(
        "    aliases: [q20_aware_standard, aware_standard, q20]",
        '    codes: { 1: "No", 2: "Yes" }\n    codes_confirmed: true\n'
        "    aliases: [q20_aware_standard, aware_standard, q20]",
    )
    book = tmp_path / "codebook.yaml"
    book.write_text(text, encoding="utf-8")
    path = tmp_path / "export.csv"
    coded_1_no_2_yes(valid_frame).to_csv(path, index=False)
    same(load(path, codebook=load_codebook(book)), valid_frame)
    assert refusal(path)  # the project's codebook still refuses it


def test_same_data_as_labelled_spss_load_without_confirmation(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    df["aware_info_standard"] = df["aware_info_standard"].map({"No": 1.0, "Yes": 2.0})
    path = write_sav(df, tmp_path / "export.sav", {"aware_info_standard": {1.0: "No", 2.0: "Yes"}})
    assert not codes_file(path).exists()
    same(load(path), valid_frame)
    frame = mapping.mapping_frame(path)
    rows = frame[frame["variable"] == "aware_info_standard"]
    assert set(zip(rows["raw_value"], rows["value_label"], rows["read_as"], rows["reason"])) == {
        ("1", "No", "No", "value label"),
        ("2", "Yes", "Yes", "value label"),
    }


def test_a_codes_file_contradicting_the_value_labels_is_refused(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    df["aware_info_standard"] = df["aware_info_standard"].map({"No": 1.0, "Yes": 2.0})
    path = write_sav(df, tmp_path / "export.sav", {"aware_info_standard": {1.0: "No", 2.0: "Yes"}})
    confirm_codes(path, "aware_info_standard: codebook\n")  # the codebook's 1=Yes, 2=No: wrong here
    assert refusal(path) == [
        "export.sav: column 'aware_info_standard': export.sav.codes.yaml contradicts the file's value labels "
        "(1=Yes but its value label is 'No'; 2=No but its value label is 'Yes'): correct export.sav.codes.yaml "
        "(value labels are read as they are)"
    ]
    confirm_codes(path, 'aware_info_standard: {1: "No", 2: "Yes"}\n')  # consistent: read as labelled
    same(load(path), valid_frame)


def test_spss_column_without_value_labels_is_refused_like_a_csv(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    df["aware_info_standard"] = df["aware_info_standard"].map({"No": 1.0, "Yes": 2.0})
    path = write_sav(df, tmp_path / "export.sav", {})
    assert "column 'aware_info_standard': numeric codes without value labels" in refusal(path)[0]


def test_0_1_dummy_codes_need_no_confirmation_but_a_code_2_does(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    df["shares_outcomes"] = df["shares_outcomes"].map({"No": 0, "Yes": 1})
    path = tmp_path / "dummy.csv"
    df.to_csv(path, index=False)
    same(load(path), valid_frame)  # 0 = No, 1 = Yes: the only sensible reading
    df.loc[3, "shares_outcomes"] = 2  # the codebook's binary_codes read 2 as No: a guess
    df.to_csv(path, index=False)
    (line,) = refusal(path)
    assert "column 'shares_outcomes': numeric codes without value labels: 0 (" in line and ", 2 (1 rows)" in line


# --------------------------------------------------------------------------------------------
# A reversed frequency scale, nominal codes
# --------------------------------------------------------------------------------------------


def test_reversed_frequency_scale_is_caught_and_read_right_once_confirmed(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    reverse = {lvl: 5 - i for i, lvl in enumerate(FREQ)}  # 5 = Never ... 1 = Very often
    df["patient_outcome_freq"] = df["patient_outcome_freq"].map(reverse)
    path = tmp_path / "reversed.csv"
    df.to_csv(path, index=False)
    (line,) = refusal(path)
    counts = valid_frame["patient_outcome_freq"].astype(object).map(reverse).value_counts()
    seen = ", ".join(f"{c} ({n} rows)" for c, n in sorted(counts.items()))
    assert line.startswith(f"reversed.csv: column 'patient_outcome_freq': numeric codes without value labels: {seen}; ")
    assert "a scale may start from Very often as well as from Never" in line
    confirm_codes(path, "q10: {5: Never, 4: Rarely, 3: Sometimes, 2: Often, 1: Very often}\n")  # by alias
    same(load(path), valid_frame)


def test_a_csv_of_codes_is_refused_column_by_column_and_a_pattern_confirms_all(tmp_path, valid_frame, codebook):
    path = tmp_path / "codes.csv"
    to_codes(valid_frame).to_csv(path, index=False)
    lines = refusal(path)
    named = [line.split("'")[1] for line in lines]
    assert named == [
        v.name for v in codebook.variables.values() if v.is_categorical and set(v.levels) != {"No", "Yes"}
    ]  # one line each, codebook order
    confirm_codes(path, '"*": codebook\n')
    same(load(path), valid_frame)


# --------------------------------------------------------------------------------------------
# The codes file itself
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("favourite_colour: codebook\n", "'favourite_colour' names no coded codebook variable"),
        ("respondent_id: codebook\n", "'respondent_id' names no coded codebook variable"),
        ("gender: {1: Femal}\n", "column 'gender': code 1: 'Femal' is none of its levels"),
        ("gender: {one: Female}\n", "column 'gender': 'one' is not a whole-number code"),
        ("gender: sometimes\n", "column 'gender': expected `codebook` or a map of codes to levels"),
        ("gender: [1, 2\n", "cannot be read as YAML"),
        ("- gender\n", "expected a map of variable names to code maps"),
    ],
)
def test_a_broken_codes_file_is_one_line_naming_it(tmp_path, valid_frame, text, message):
    path = tmp_path / "export.csv"
    labels_only(valid_frame).to_csv(path, index=False)
    confirm_codes(path, text)
    (line,) = refusal(path)
    assert line.startswith("export.csv.codes.yaml: ") and message in line, line


def test_codes_file_maps_codes_to_non_substantive_answers_and_missing(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    gender = {"Female": 2, "Male": 1, "Another gender": 3}
    df["gender"] = df["gender"].map(gender).astype(object)
    df.loc[0, "gender"], df.loc[1, "gender"] = 8, 9
    path = tmp_path / "export.csv"
    df.to_csv(path, index=False)
    confirm_codes(path, "gender: {1: Male, 2: Female, 3: Another gender, 8: Prefer not to say, 9: missing}\n")
    out = load(path)
    assert out.loc[:1, "gender"].isna().all()
    assert out.loc[2:, "gender"].tolist() == valid_frame.loc[2:, "gender"].tolist()
    reasons = mapping.mapping_frame(path).set_index(["variable", "raw_value"])["reason"]
    assert reasons[("gender", "8")] == "non-substantive answer 'Prefer not to say': missing (codebook non_substantive)"
    assert reasons[("gender", "9")] == "missing code (export.csv.codes.yaml)"


def test_editing_the_codes_file_is_not_hidden_by_the_load_cache(tmp_path, valid_frame, monkeypatch):
    # A real file is cached only inside a build's output folder (HELPERS_SURVEY_CACHE_DIR).
    monkeypatch.setenv("HELPERS_SURVEY_CACHE", "1")
    monkeypatch.setenv("HELPERS_SURVEY_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "export.csv"
    coded_1_no_2_yes(valid_frame).to_csv(path, index=False)
    confirm_codes(path, 'aware_info_standard: {1: "No", 2: "Yes"}\n')
    first = load(path)["aware_info_standard"].tolist()
    assert list((tmp_path / "cache").glob("survey-*.pkl"))  # cached
    confirm_codes(path, "aware_info_standard: codebook\n")
    assert load(path)["aware_info_standard"].tolist() != first


def test_the_build_re_executes_when_the_codes_file_changes(tmp_path):
    from reportbuild.cli import data_dependencies

    data = tmp_path / "export.csv"
    data.write_text("x\n")
    assert data in data_dependencies(data) and codes_file(data) not in data_dependencies(data)
    confirm_codes(data)
    assert codes_file(data) in data_dependencies(data)


# --------------------------------------------------------------------------------------------
# Non-substantive answers: a stated choice per variable
# --------------------------------------------------------------------------------------------


def _with_dont_know(valid_frame, rows=(0, 1, 2)) -> pd.DataFrame:
    df = labels_only(valid_frame)
    df["aware_info_standard"] = df["aware_info_standard"].astype(object)
    df.loc[list(rows), "aware_info_standard"] = "Don\u2019t know"
    df["gender"] = df["gender"].astype(object)
    df.loc[6, "gender"] = "Prefer not to say"
    df.loc[7, "gender"] = "Not applicable"
    return df


def test_non_substantive_answers_are_missing_by_default(tmp_path, valid_frame):
    path = tmp_path / "dk.csv"
    _with_dont_know(valid_frame).to_csv(path, index=False)
    out = load(path)
    assert out.loc[:2, "aware_info_standard"].isna().all() and out.loc[6:7, "gender"].isna().all()


def test_non_substantive_choice_in_the_codebook_changes_the_coding(tmp_path, valid_frame):
    old = 'non_substantive: { "Don\'t know": missing }'
    text = paths.CODEBOOK.read_text(encoding="utf-8")
    assert text.count(old) == 1
    book = tmp_path / "codebook.yaml"
    book.write_text(text.replace(old, 'non_substantive: { "Don\'t know": No }'), encoding="utf-8")
    codebook = load_codebook(book)
    path = tmp_path / "dk.csv"
    _with_dont_know(valid_frame).to_csv(path, index=False)
    out = load(path, codebook=codebook)
    assert out.loc[:2, "aware_info_standard"].tolist() == ["No"] * 3
    assert out.loc[6:7, "gender"].isna().all()  # other variables keep the default
    frame = mapping.mapping_frame(path, codebook)
    aware = frame[frame["variable"] == "aware_info_standard"]
    dk = aware[aware["raw_value"] == "Don\u2019t know"]
    assert dk[["read_as", "n"]].values.tolist() == [["No", 3]]
    assert dk["reason"].item() == "non-substantive answer 'Don\u2019t know': No (codebook non_substantive)"
    assert set(aware["non_substantive"]) == {"Don't know: No; Prefer not to say, Not applicable: missing"}
    text_report = mapping.mapping_text(frame, "dk.csv", codebook=codebook)
    assert "aware_info_standard (exact name)  [non-substantive: Don't know: No; " in text_report


def test_non_substantive_choice_must_be_missing_or_a_level(tmp_path):
    text = paths.CODEBOOK.read_text(encoding="utf-8").replace(
        'non_substantive: { "Don\'t know": missing }', 'non_substantive: { "Don\'t know": Unaware }'
    )
    book = tmp_path / "codebook.yaml"
    book.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="'aware_info_standard': non_substantive \"Don't know\": 'Unaware'"):
        load_codebook(book)


# --------------------------------------------------------------------------------------------
# The mapping report
# --------------------------------------------------------------------------------------------


def _real_shaped_csv(tmp_path, valid_frame, codebook) -> tuple:
    """A CSV as a platform exports it: metadata columns, aliases, codes (binary 1 = No, 2 = Yes,
    frequencies reversed), -99 and 'Don't know' answers; and its codes file."""
    df = to_codes(valid_frame).astype(object)
    binary = [v.name for v in codebook.variables.values() if v.type == "binary"]
    for name in binary:
        df[name] = valid_frame[name].astype(object).map({"No": 1, "Yes": 2})
    reverse = {lvl: 5 - i for i, lvl in enumerate(FREQ)}
    df["service_outcome_freq"] = valid_frame["service_outcome_freq"].astype(object).map(reverse)
    df.loc[[2, 5], "age_group"] = -99
    df["shares_outcomes"] = df["shares_outcomes"].astype(object)
    df.loc[[1, 4, 9], "shares_outcomes"] = "Don't know"
    df = df.rename(
        columns={"gender": "Q31", "employer_type": "q37_employer", "aware_info_standard": "Aware Info Standard"}
    )
    df.insert(0, "StartDate", "2025-03-01")
    df.insert(1, "IPAddress", "192.0.2.1")
    path = tmp_path / "export.csv"
    df.to_csv(path, index=False)
    confirm_codes(
        path,
        "\n".join(
            [
                *(f'{n}: {{1: "No", 2: "Yes"}}' for n in binary),
                "service_outcome_freq: {5: Never, 4: Rarely, 3: Sometimes, 2: Often, 1: Very often}",
                '"*": codebook',
                "",
            ]
        ),
    )
    return path, df


def test_mapping_report_lists_every_column_and_code_with_correct_counts(tmp_path, valid_frame, codebook):
    path, raw = _real_shaped_csv(tmp_path, valid_frame, codebook)
    frame = mapping.mapping_frame(path)
    # every raw column, in file order, and how its name was matched
    assert list(dict.fromkeys(c for c in frame["raw_column"] if c)) == list(raw.columns)
    match = frame.drop_duplicates("raw_column").set_index("raw_column")["column_match"]
    assert match["StartDate"] == "dropped: platform metadata (ignore_columns 'StartDate')"
    assert match["IPAddress"] == "dropped: platform metadata (ignore_columns 'IPAddress')"
    assert match["Q31"] == "alias 'q31'"
    assert match["q37_employer"] == "alias 'q37_employer'"
    assert match["Aware Info Standard"] == "name, ignoring case and punctuation"
    assert match["age_group"] == "exact name"
    # every code with its count, checked against the raw file read independently by pandas
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    for raw_name in raw.columns:
        rows = frame[frame["raw_column"] == raw_name]
        if rows["variable"].iloc[0] in ("", "respondent_id"):
            continue
        expected = back[raw_name].replace("", mapping.BLANK).value_counts().to_dict()
        got = rows.groupby("raw_value")["n"].sum().to_dict()
        assert got == expected, raw_name
        assert rows["n"].sum() == len(raw)
    ids = frame[frame["variable"] == "respondent_id"]
    assert ids["raw_value"].tolist() == ["(respondent ids, not listed)"] and ids["n"].tolist() == [len(raw)]
    assert not frame.astype(str).apply(lambda c: c.str.contains("R0")).any().any()  # no id listed


def test_mapping_report_says_what_each_code_became_and_why_missing(tmp_path, valid_frame, codebook):
    path, _ = _real_shaped_csv(tmp_path, valid_frame, codebook)
    frame = mapping.mapping_frame(path)
    df = load(path)

    def rows(variable):
        r = frame[frame["variable"] == variable]
        return {(v, a): (n, why) for v, a, n, why in zip(r["raw_value"], r["read_as"], r["n"], r["reason"])}

    service = rows("service_outcome_freq")
    for i, level in enumerate(FREQ):
        n = int((valid_frame["service_outcome_freq"] == level).sum())
        assert service[(str(5 - i), level)] == (n, "code, confirmed in export.csv.codes.yaml")
    age = rows("age_group")
    assert age[("-99", mapping.MISSING)] == (2, "missing code (codebook missing.codes)")
    shares = rows("shares_outcomes")
    assert shares[("Don't know", mapping.MISSING)] == (
        3,
        'non-substantive answer "Don\'t know": missing (codebook non_substantive)',
    )
    # not asked: measures of respondents who use none are blank and stay missing
    ons4 = rows("measure_ons4")
    not_users = int((valid_frame["uses_outcome_measures"] == "No").sum())
    assert ons4[(mapping.BLANK, mapping.MISSING)] == (not_users, "blank")
    # the report's levels are the analysed frame's levels, count for count
    for variable in ("service_outcome_freq", "age_group", "shares_outcomes", "gender"):
        r = frame[frame["variable"] == variable]
        got = r[r["read_as"] != mapping.MISSING].groupby("read_as")["n"].sum()
        assert got.to_dict() == df[variable].value_counts().loc[lambda s: s > 0].to_dict(), variable


def test_mapping_report_of_a_blank_tick_box_and_a_not_asked_answer(tmp_path, valid_frame):
    df = labels_only(valid_frame)
    user = int(valid_frame.index[valid_frame["uses_outcome_measures"] == "Yes"][0])
    other = int(valid_frame.index[valid_frame["uses_outcome_measures"] == "No"][0])
    for m in ("measure_ons4", "measure_mycaw", "measure_pam", "measure_wellbeing_star", "measure_other"):
        df[m] = df[m].astype(object)
        df.loc[user, m] = "Yes" if m == "measure_ons4" else None  # ticked one box, left the rest blank
        df.loc[other, m] = "No"  # a platform that writes No for a question it did not ask
    path = tmp_path / "ticks.csv"
    df.to_csv(path, index=False)
    frame = mapping.mapping_frame(path)
    mycaw = frame[frame["variable"] == "measure_mycaw"]
    filled = mycaw[(mycaw["raw_value"] == mapping.BLANK) & (mycaw["read_as"] == "No")]
    assert filled["reason"].tolist() == ["blank tick box of an answered question"] and filled["n"].tolist() == [1]
    unasked = mycaw[(mycaw["raw_value"] == "No") & (mycaw["read_as"] == mapping.MISSING)]
    assert unasked["reason"].tolist() == ["label; not asked (uses_outcome_measures == 'Yes' does not hold)"]


def test_mapping_report_of_an_invalid_file_is_the_refusal(tmp_path, valid_frame):
    path = tmp_path / "export.csv"
    coded_1_no_2_yes(valid_frame).to_csv(path, index=False)
    with pytest.raises(SurveyValidationError):
        mapping.mapping_frame(path)


def test_written_mapping_suppresses_small_counts(tmp_path, valid_frame, codebook):
    path, _ = _real_shaped_csv(tmp_path, valid_frame, codebook)
    frame = mapping.mapping_frame(path)
    written = mapping.write(frame, tmp_path / "out", min_count=5)
    back = pd.read_csv(written, dtype=str, keep_default_na=False)
    # only the counts change: codes such as '3' are not counts
    pd.testing.assert_frame_equal(back.drop(columns="n"), frame.drop(columns="n").astype(str))
    from helpers.present.disclosure import MARKER

    shown = back["n"].to_numpy()
    assert all(
        v in ("", MARKER) if pd.isna(x) or v == MARKER else v == str(x) for v, x in zip(shown, frame["n"])
    )  # only hidden, never changed
    age = back[(back["variable"] == "age_group") & (back["raw_value"] == "-99")]
    assert age["n"].tolist() == [MARKER]
    assert not {"1", "2", "3", "4"} & set(shown)
    # complementary suppression: a raw column's counts sum to the rows, so never one hidden alone
    for _, group in back.groupby("raw_column"):
        assert (group["n"] == MARKER).sum() in (0,) or (group["n"] == MARKER).sum() >= 2
    assert written.read_bytes() == mapping.write(mapping.mapping_frame(path), tmp_path / "again", 5).read_bytes()


# --------------------------------------------------------------------------------------------
# The command line and the report chapter
# --------------------------------------------------------------------------------------------


def test_validate_prints_the_mapping_and_writes_it_with_out(tmp_path, valid_frame, codebook, capsys):
    path, raw = _real_shaped_csv(tmp_path, valid_frame, codebook)
    out = tmp_path / "outside_the_repo"
    assert main(["--out", str(out), str(path)]) == 0
    stdout = capsys.readouterr().out.splitlines()
    assert stdout[0].startswith("export.csv: valid, 60 respondents")
    assert stdout[1] == (
        f"export.csv: how each of its {len(raw.columns)} columns was read "
        "(2 dropped as platform metadata); codes confirmed in export.csv.codes.yaml"
    )
    assert "  Q31 -> gender (alias 'q31')" in stdout
    assert any(line.strip().startswith("-99 -> (missing): 2 (missing code") for line in stdout)  # exact on screen
    assert stdout[-1].startswith("export.csv: mapping report written to ")
    assert (out / "mapping.csv").is_file()


def test_validate_out_refuses_a_committable_folder_for_real_data(tmp_path, valid_frame, capsys):
    path = tmp_path / "export.csv"
    labels_only(valid_frame).to_csv(path, index=False)
    inside = paths.ROOT / "tests" / "mapping_out_not_ignored"
    assert main(["--out", str(inside), str(path)]) == 2
    assert "is not git-ignored" in capsys.readouterr().err
    assert not inside.exists()
    assert not mapping._committable(paths.REAL_OUTPUT)  # _output_real/ is git-ignored: allowed
    assert not mapping._committable(tmp_path)  # outside the repository: allowed
    assert main(["--out", str(tmp_path / "a"), str(path), str(path)]) == 2


def test_validate_command_prints_the_mapping_of_the_synthetic_file():
    result = subprocess.run(
        [sys.executable, "-m", "helpers", "validate", str(paths.SYNTHETIC_DATA)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=paths.ROOT,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == "survey_2025_synthetic.csv: how each of its 30 columns was read"
    assert "  patient_outcome_freq -> patient_outcome_freq (exact name)" in lines
    assert result.stderr == ""


def test_the_data_chapter_shows_the_mapping_for_real_data_only(tmp_path, valid_csv, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    synthetic = load_survey()
    assert mapping.show(synthetic, None, str(tmp_path / "syn"), 5) is None
    assert not shown and not (tmp_path / "syn").exists()
    real = load_survey(valid_csv)
    table = mapping.show(real, str(valid_csv), str(tmp_path / "real"), 5)
    assert "How each column and value of `survey_valid.csv` was read" in shown[0].data
    assert (tmp_path / "real" / "mapping.csv").is_file()
    text = repr(table)
    assert "patient_outcome_freq -> patient_outcome_freq" in text and "[c]" in text
