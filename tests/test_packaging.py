"""The conda environment lists what pyproject lists; the CI script runs the README's test command."""

import re
import tomllib

import yaml

from conftest import ROOT


def _names(specs):
    return {re.split(r"[<>=!~\[ ;]", s.strip(), maxsplit=1)[0].lower().replace("_", "-") for s in specs}


def test_environment_yml_lists_pyproject_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = _names(project["dependencies"]) | _names(project["optional-dependencies"]["test"])
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {d for d in env["dependencies"] if isinstance(d, str)}
    listed = _names(conda) - {"python", "pip"}
    assert wanted - listed == set(), f"missing from environment.yml: {sorted(wanted - listed)}"
    assert listed - wanted == set(), f"in environment.yml but not pyproject: {sorted(listed - wanted)}"


def test_ci_runs_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_console_script_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["homekit"] == "homekit.cli:main"
