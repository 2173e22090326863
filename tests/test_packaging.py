"""The conda environment lists what pyproject lists; the CI script runs the README's test command."""

import re
from pathlib import Path
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


def test_wheel_installs_and_runs_a_batch_from_an_empty_folder(tmp_path):
    """The built wheel carries the notebooks and default parameters: installed into a fresh
    virtual environment (no system site-packages) it runs a two-site batch from an empty folder.

    To stay fast and offline, homekit itself comes from the wheel (``--no-deps``) and its
    dependencies from this environment's site-packages through a ``.pth`` file (a path entry
    only: the checkout's editable install is not visible there)."""
    import json
    import subprocess
    import sys
    import sysconfig

    import os

    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # nothing but the wheel may provide homekit
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)], check=True,
                   capture_output=True, env=clean)
    wheel = next(wheels.glob("homekit-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=clean)
    py = venv / "bin" / "python"
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True,
                             text=True, check=True, env=clean).stdout.strip()
    (Path(purelib) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (venv / "share").mkdir()  # the dependencies' data files (nbconvert templates), as pip would install them
    (venv / "share" / "jupyter").symlink_to(Path(sys.prefix) / "share" / "jupyter")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "-q", str(wheel)], check=True,
                   capture_output=True, env=clean)
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path), "TMPDIR": str(tmp_path)}  # no PYTHONPATH
    where = subprocess.run([str(py), "-c", "import homekit; print(homekit.__file__)"], cwd=empty, env=env, capture_output=True,
                           text=True)
    assert where.stdout.strip().startswith(purelib), where.stdout + where.stderr  # the wheel's copy, not the checkout
    homekit = venv / "bin" / "homekit"
    assert subprocess.run([str(homekit), "example-data", "data"], cwd=empty, env=env, capture_output=True).returncode == 0
    res = subprocess.run([str(homekit), "run", "--data-dir", "data", "--output-dir", "out", "--sites", "barnsley,wiltshire", "--quiet"],
                         cwd=empty, env=env, capture_output=True, text=True, timeout=600)
    # 0, or 3 when the run's disclosure audit flags the published files (the audit is tested in test_pipeline.py)
    assert res.returncode in (0, 3), res.stdout + res.stderr
    manifest = json.loads((empty / "out" / "manifest.json").read_text())
    assert manifest["parameters_source"] == "packaged defaults"
    assert manifest["parameters_dir"] == "parameters" and "/" not in json.dumps(manifest.get("parameters_dir"))  # a name, never a path
    assert manifest["status"] == "complete" and manifest["national"]["status"] == "ok"
    assert (empty / "out" / "sites" / "barnsley" / "report.html").exists()
    assert ">Benefits<" in (empty / "out" / "sites" / "wiltshire" / "report.html").read_text()  # packaged benefits.yaml used
    assert (empty / "out" / "national" / "report.html").exists()
    assert sorted(p.name for p in empty.iterdir()) == ["data", "out"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("homekit-")] == []
