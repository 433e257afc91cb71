"""helpers.yamlfile reads every YAML file of the project as PyYAML's pure-Python safe loader does."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from helpers import paths, yamlfile

TRACKED = subprocess.run(
    ["git", "ls-files", "*.yaml", "*.yml"], cwd=paths.ROOT, capture_output=True, text=True
).stdout.split()


@pytest.mark.skipif(not TRACKED, reason="not a git checkout")
def test_every_yaml_file_of_the_project_reads_as_the_pure_python_loader_reads_it():
    for name in TRACKED:
        text = (paths.ROOT / name).read_text(encoding="utf-8")
        assert repr(yamlfile.safe_load(text)) == repr(yaml.safe_load(text)), name


def test_the_c_parser_is_used_where_pyyaml_has_it():
    assert yamlfile.SafeLoader is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)


def test_broken_yaml_is_the_same_error_with_its_line():
    with pytest.raises(yaml.YAMLError) as err:
        yamlfile.safe_load("a: 1\nb: [2\nc: 3\n")
    assert err.value.problem_mark.line == yaml_error_line("a: 1\nb: [2\nc: 3\n")


def yaml_error_line(text: str) -> int:
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return exc.problem_mark.line
    raise AssertionError("valid YAML")
