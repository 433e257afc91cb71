"""A broken codebook fails at once, in one line naming its file, the entry and the key; nothing
downstream (labels in tables, models) falls back to raw column names."""

from __future__ import annotations

import pytest
import yaml

from helpers import paths
from helpers.analysis.models import term_label
from helpers.data.codebook import CodebookError, load_codebook


def _broken(tmp_path, edit):
    raw = yaml.safe_load(paths.CODEBOOK.read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_the_project_codebook_loads():
    assert term_label("aware_info_standard[Yes]", load_codebook()) != "aware_info_standard"


def test_missing_key_names_file_variable_and_key(tmp_path):
    def drop_definition(raw):
        del raw["variables"][1]["definition"]

    path = _broken(tmp_path, drop_definition)
    name = yaml.safe_load(paths.CODEBOOK.read_text(encoding="utf-8"))["variables"][1]["name"]
    with pytest.raises(CodebookError) as err:
        load_codebook(path)
    assert str(err.value) == f"codebook.yaml: variable {name!r}: key 'definition' is missing"


def test_missing_variables_and_bad_yaml(tmp_path):
    path = _broken(tmp_path, lambda raw: raw.pop("variables"))
    with pytest.raises(CodebookError, match=r"^codebook.yaml: key 'variables'"):
        load_codebook(path)
    path.write_text("variables: [unclosed\n", encoding="utf-8")
    with pytest.raises(CodebookError, match=r"^codebook.yaml: not valid YAML"):
        load_codebook(path)


def test_derived_variable_without_rule(tmp_path):
    path = _broken(tmp_path, lambda raw: raw["derived"][0].pop("rule"))
    with pytest.raises(CodebookError, match=r"^codebook.yaml: derived variable '\w+': key 'rule' is missing$"):
        load_codebook(path)
