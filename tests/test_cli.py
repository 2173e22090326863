"""The command line: help like papermill's, --version, python -m homekit, init, refusals before
anything starts, and Ctrl-C (SIGINT to a real run): one line, no orphan process, no temp folder,
an index and manifest that say "interrupted", which --overwrite then replaces."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from homekit import __version__
from homekit.cli import build_parser

COMMANDS = ["init", "validate", "example-data", "run", "redact-check", "audit", "templates"]


def _homekit(*args, cwd=None, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "homekit", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)


def test_version_and_python_m():
    res = _homekit("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"homekit {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_description_examples_exit_codes_and_defaults(command):
    sub = next(a for a in build_parser()._actions if a.dest == "command").choices[command]
    text = sub.format_help()
    assert "examples:\n  homekit " + command.split()[0] in text
    assert "exit codes:\n  0 " in text
    assert len(sub.description) > 80  # a real description, not just the one-line summary
    for action in sub._actions:
        if action.option_strings and action.dest != "help":
            assert "default" in action.help or "required" in action.help or sub._get_formatter()._get_help_string(action) != action.help, \
                f"{command} {action.option_strings[0]}: no default shown"


def test_run_help_shows_every_default():
    text = _homekit("run", "--help", env={**os.environ, "COLUMNS": "400"}).stdout
    for fragment in ("(default: 2)", "(default: 900)", "(default: local)", "(default: off)", "./parameters if present"):
        assert fragment in text


def test_init_writes_a_project(tmp_path):
    res = _homekit("init", str(tmp_path / "proj"))
    assert res.returncode == 0, res.stderr
    proj = tmp_path / "proj"
    assert {p.name for p in (proj / "parameters").iterdir()} >= {"disclosure.yaml", "benefits.yaml", "national.yaml", "sites"}
    assert {p.name for p in (proj / "notebooks").iterdir()} >= {"site_analysis.ipynb", "national_synthesis.ipynb", "benefits_model.ipynb"}
    assert (proj / "data" / "templates" / "sites.csv").read_text().startswith("site_id,")
    assert not list((proj / "data").glob("*.csv"))  # data/ itself is empty: the templates are beside it
    again = _homekit("init", str(proj))
    assert again.returncode == 2 and "not empty" in again.stderr


def test_missing_parameters_stop_before_anything(example_dir, tmp_path):
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "disclosure.yaml").write_text("site: {}\n")
    out = tmp_path / "out"
    res = _homekit("run", "--data-dir", str(example_dir), "--output-dir", str(out), "--parameters", str(tmp_path / "params"))
    assert res.returncode == 2
    assert "lacks benefits.yaml, national.yaml" in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()
    res = _homekit("run", "--data-dir", str(example_dir), "--output-dir", str(out), "--parameters", str(tmp_path / "nowhere"))
    assert res.returncode == 2 and "does not exist" in res.stderr and not out.exists()


def _ours(tmp: Path) -> list:
    """Processes whose environment points into the run's private temp folder (workers, kernels)."""
    found = []
    for p in psutil.process_iter(["pid"]):
        try:
            if any(str(tmp) in v for v in p.environ().values()):
                found.append(p)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            pass
    return found


def test_ctrl_c_stops_everything_and_overwrite_accepts_the_folder(example_dir, tmp_path):
    proj, tmp = tmp_path / "proj", tmp_path / "tmp"
    tmp.mkdir()
    assert _homekit("init", str(proj)).returncode == 0
    env = {**os.environ, "TMPDIR": str(tmp)}
    cmd = [sys.executable, "-m", "homekit", "run", "--data-dir", str(example_dir), "--output-dir", "reports", "--quiet",
           "--sites", "barnsley,wiltshire,croydon,medway,havering,oxfordshire"]
    proc = subprocess.Popen(cmd, cwd=proj, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t = time.time()
    while not list((proj / "reports" / "sites").glob("*/report.html")) and time.time() - t < 300:
        time.sleep(0.2)
    # (a report is written by its worker a moment before the run counts the site as finished: a
    # Ctrl-C in between rightly calls it interrupted and removes it, so give the run that moment;
    # the other sites take seconds more)
    time.sleep(1.5)
    assert _ours(tmp), "workers and kernels should be running"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert err.strip().count("\n") == 0 and "Traceback" not in err and "interrupted" in err, err
    time.sleep(1)
    assert _ours(tmp) == [], "no worker or kernel may survive Ctrl-C"
    assert list(tmp.iterdir()) == [], "no temp folder may survive Ctrl-C"
    manifest = json.loads((proj / "reports" / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    status = {s["site_id"]: s["status"] for s in manifest["sites"]}
    assert "ok" in status.values() and "interrupted" in status.values()
    for site, st in status.items():  # finished sites kept, interrupted ones leave no half-written folder
        assert (proj / "reports" / "sites" / site / "report.html").exists() == (st == "ok")
    assert "This run is interrupted" in (proj / "reports" / "index.html").read_text()
    # --overwrite replaces the interrupted run; from the project folder its parameters/ are used.
    again = subprocess.run(cmd[:-2] + ["--sites", "barnsley", "--overwrite"], cwd=proj, env=env, capture_output=True, text=True)
    assert again.returncode in (0, 3), again.stderr  # 3: the run finished and its disclosure audit flagged something
    manifest = json.loads((proj / "reports" / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["parameters_source"] == "project"
    assert manifest["parameters_dir"] == "parameters"  # the folder's name: a server path is never published
    assert not (proj / "reports" / "sites" / "wiltshire").exists()
    assert list(tmp.iterdir()) == [] and _ours(tmp) == []
