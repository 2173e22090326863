"""End to end: the batch through papermill on example sites, a broken site failing alone,
the indicators.csv contract, HTML without code, byte-identical reruns, and the CLI's refusals."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT
from homekit import pipeline
from homekit.audit import audit

CONTRACT = ["site_id", "indicator", "group", "numerator", "denominator", "estimate", "lower", "upper", "method", "suppressed",
            # second release: the round described, the indicator's direction, and its comparison in words
            "period", "polarity", "comparison", "benchmark", "comparison_method"]
WORDS = {"better", "similar", "worse", "higher", "lower", "not compared"}


@pytest.fixture(scope="module")
def broken_parameters(tmp_path_factory):
    """A copy of parameters/ where croydon's site file makes its notebook fail."""
    d = tmp_path_factory.mktemp("params") / "parameters"
    shutil.copytree(ROOT / "parameters", d)
    y = yaml.safe_load((d / "sites" / "croydon.yaml").read_text())
    y["instruments"] = ["no_such_instrument"]
    (d / "sites" / "croydon.yaml").write_text(yaml.safe_dump(y))
    return d


@pytest.fixture(scope="module")
def batch(example_dir, broken_parameters, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    kept = tmp_path_factory.mktemp("notebooks")
    result = pipeline.run(example_dir, out, sites=["barnsley", "wiltshire", "croydon"], jobs=2, timeout=600,
                          parameters_dir=broken_parameters, progress=False, notebooks_dir=kept)
    result.kept_notebooks = kept
    return result


def test_broken_site_fails_alone(batch):
    status = {s.site_id: s.status for s in batch.sites}
    assert status == {"barnsley": "ok", "wiltshire": "ok", "croydon": "failed"}
    croydon = next(s for s in batch.sites if s.site_id == "croydon")
    assert "instruments" in croydon.error
    # Executed notebooks are not published (README): none in the output folder, kept where asked.
    assert not list(batch.output_dir.rglob("*.ipynb"))
    assert (batch.kept_notebooks / "croydon.ipynb").exists() and (batch.kept_notebooks / "barnsley.ipynb").exists()
    assert batch.national.status == "ok"
    assert batch.exit_code == 1
    manifest = json.loads((batch.output_dir / "manifest.json").read_text())
    assert all(i["unchanged"] for i in manifest["inputs"])
    assert manifest["national"]["status"] == "ok"
    index = (batch.output_dir / "index.html").read_text()
    assert "Croydon" in index and "failed" in index and 'href="sites/barnsley/report.html"' in index


@pytest.mark.parametrize("where", ["sites/barnsley", "sites/wiltshire", "national"])
def test_indicators_contract(batch, where):
    path = batch.output_dir / where / "indicators.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(df.columns) == CONTRACT
    assert set(df["suppressed"]) <= {"true", "false"}
    sup = df[df.suppressed == "true"]
    assert (sup[["numerator", "estimate", "lower", "upper"]] == "").all().all()
    shown = df[(df.suppressed == "false") & (df.estimate != "")]
    est = shown.estimate.astype(float)
    ok = shown.method.isin(["Wilson"])
    assert ((est[ok] >= 0) & (est[ok] <= 1)).all()
    expected_site = where.split("/")[-1]
    assert set(df.site_id) == {expected_site}
    headline = {"gp_relationship_poor", "gp_value_closer_links", "gp_trust_asc", "gp_unaware_telecare", "prof_trust",
                "prof_relationship_score"}
    assert headline <= set(df.indicator)
    assert set(df.comparison) <= WORDS and set(df.benchmark) <= {"", "national_excluding_site", "england"}
    assert (sup.comparison == "not compared").all()
    assert set(df.polarity) <= {"higher_is_better", "lower_is_better", "no_judgement"}
    if where == "sites/barnsley":  # surveyed in 2013 and 2019: indicators.csv describes 2019
        assert set(df.loc[df.indicator.str.startswith("gp_"), "period"]) == {"2019"}
        assert (df.loc[df.indicator == "flow_care_home_admissions_rate", "benchmark"] == "england").all()


def test_html_has_figures_and_no_code(batch):
    for where in ("sites/barnsley", "national"):
        html = (batch.output_dir / where / "report.html").read_text()
        assert html.count("<img") >= 3
        assert "SiteReport.open" not in html and "NationalReport.open" not in html
        assert "report.provenance()" not in html and "data_slice" not in html
    site = (batch.output_dir / "sites" / "barnsley" / "report.html").read_text()
    assert "Provenance" in site and "Barnsley" in site


def _links(page: str) -> list[str]:
    from html.parser import HTMLParser

    found = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(v or "" for k, v in attrs if k in ("src", "href", "srcset", "data", "poster", "action"))

    P().feed(page)
    return found


@pytest.mark.parametrize("where", ["sites/barnsley", "sites/wiltshire", "national"])
def test_html_is_self_contained_printable_and_accessible(batch, where):
    import re

    page = (batch.output_dir / where / "report.html").read_text()
    links = _links(page)
    assert links, "the check must see the figures"
    for v in links:
        assert v.startswith(("data:image/png;base64,", "#")), v  # nothing from the network, no file path
    assert "<script" not in page and "<link" not in page and "@import" not in page and "url(" not in page
    assert "require" not in page.lower() and "mathjax" not in page.lower()
    # Printed to PDF: each section starts a page.
    assert "@media print" in page and "break-before:page" in page
    # Headings in order: one h1, and no level skipped.
    levels = [int(h) for h in re.findall(r"<h([1-6])\b", page)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:]))
    # Every image has a text alternative.
    imgs = re.findall(r"<img\b[^>]*>", page)
    assert imgs and all(re.search(r'alt="[^"]{20,}"', i) for i in imgs)
    # No printed text, warning or traceback reaches the page.
    assert "Warning" not in page and "Traceback" not in page


def test_xlsx_summary_written(batch):
    import openpyxl

    wb = openpyxl.load_workbook(batch.output_dir / "sites" / "barnsley" / "summary.xlsx")
    assert wb.sheetnames == ["read_me", "headlines", "change", "all_indicators"]  # barnsley: surveyed in 2013 and 2019
    cells = [c.value for row in wb["all_indicators"].iter_rows() for c in row]
    assert "[c]" in cells
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)


def test_rerun_is_byte_identical(batch, example_dir, broken_parameters, tmp_path):
    again = pipeline.run(example_dir, tmp_path / "again", sites=["barnsley", "wiltshire", "croydon"], jobs=2,
                         parameters_dir=broken_parameters, progress=False)
    for where in ("sites/barnsley", "sites/wiltshire", "national"):
        a = (batch.output_dir / where / "indicators.csv").read_bytes()
        b = (again.output_dir / where / "indicators.csv").read_bytes()
        assert a == b, where


def test_run_refuses_existing_output(batch, example_dir):
    with pytest.raises(pipeline.OutputExistsError):
        pipeline.run(example_dir, batch.output_dir, sites=["barnsley"], progress=False)


def test_cli_run_with_invalid_data_writes_nothing(example_copy, tmp_path):
    (example_copy / "services.csv").write_text("site_id,service,available\natlantis,telecare,Yes\n")
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "homekit.cli", "run", "--data-dir", str(example_copy), "--output-dir", str(out)],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert "atlantis" in res.stdout
    assert not out.exists()


def _task(tmp_path, name, source, timeout):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, tmp_path / f"{name}.ipynb")
    return {"name": name, "notebook": str(tmp_path / f"{name}.ipynb"), "output_notebook": str(tmp_path / f"{name}_out.ipynb"),
            "parameters": {}, "timeout": timeout, "task_file": str(tmp_path / f"{name}.json"), "result": str(tmp_path / f"{name}_r.json")}


def test_time_limit_stops_a_notebook(tmp_path):
    res = pipeline.execute_task(_task(tmp_path, "slow", "import time\ntime.sleep(120)", 3))
    assert res["status"] == "failed" and "time limit" in res["error"]


def test_serving_worker_survives_a_timeout_and_resets_state(tmp_path):
    # One lane: a and b share a kernel (b must not see a's variable); c runs after the slow one was killed.
    tasks = [_task(tmp_path, "a", "x = 41", 60), _task(tmp_path, "b", "assert 'x' not in dir()\ny = 1", 60),
             _task(tmp_path, "slow", "import time\ntime.sleep(120)", 8), _task(tmp_path, "c", "y = 2", 60)]
    results = dict((t["name"], r) for t, r in pipeline.LocalExecutor(1).map(tasks))
    assert results["slow"]["status"] == "failed" and "time limit" in results["slow"]["error"]
    assert results["a"]["status"] == "ok" and results["b"]["status"] == "ok" and results["c"]["status"] == "ok"


def test_run_ends_with_the_disclosure_audit(batch):
    manifest = json.loads((batch.output_dir / "manifest.json").read_text())
    verdict = manifest["audit"]
    assert verdict == batch.audit
    assert {"passed", "findings", "by_attack", "by_rule", "first_findings", "summary"} <= set(verdict)
    assert verdict["passed"] == (verdict["findings"] == 0)
    index = (batch.output_dir / "index.html").read_text()
    if verdict["passed"]:
        assert "Disclosure audit: audit passed" in index
    else:
        assert "DISCLOSURE AUDIT FAILED" in index and verdict["first_findings"][0]["indicator"] in index


def test_failed_audit_banner_and_exit_code():
    verdict = {"passed": False, "summary": "audit FAILED: 1 cells pinned down", "first_findings": [
        {"file": "sites/a/indicators.csv", "indicator": "op_planned_ahead", "group": "", "cell": "numerator",
         "recovered": "6", "attack": "estimate x base", "rule": "count of 1-7 people (NHS Digital rule)"}]}
    html_text = pipeline._audit_html(verdict)
    assert 'class="audit-failed"' in html_text and "op_planned_ahead" in html_text and "do not publish" in html_text
    ok = pipeline.SiteRun("a", "ok")
    assert pipeline.RunResult(Path("."), [ok], pipeline.SiteRun("national", "ok"), {}, verdict).exit_code == 3
    assert pipeline.RunResult(Path("."), [ok], pipeline.SiteRun("national", "ok"), {}, {"passed": True}).exit_code == 0
    failed = pipeline.SiteRun("b", "failed")
    assert pipeline.RunResult(Path("."), [ok, failed], pipeline.SiteRun("national", "ok"), {}, verdict).exit_code == 1


# -- incremental re-runs ----------------------------------------------------------------------------

def _files(out):
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in ("manifest.json", "index.html")}


def test_update_reruns_only_what_changed(example_copy, tmp_path, monkeypatch):
    params = tmp_path / "parameters"
    shutil.copytree(ROOT / "parameters", params)
    out = tmp_path / "out"
    sites = ["barnsley", "wiltshire"]
    pipeline.run(example_copy, out, sites=sites, jobs=2, parameters_dir=params, progress=False)
    first = _files(out)

    # Nothing changed: nothing runs, every report byte-identical.
    again = pipeline.run(example_copy, out, sites=sites, jobs=2, parameters_dir=params, progress=False, update=True)
    assert [s.kept for s in again.sites] == [True, True] and again.national.kept
    assert _files(out) == first
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["update"] is True and all(len(s["key"]["data"]) == 64 for s in manifest["sites"])
    # the same published files and code: the previous run's passed audit verdict holds
    assert manifest["audit"]["passed"] and manifest["audit"]["reused"] and "audited by the previous run" in again.audit["summary"]

    # One answer of one Wiltshire respondent corrected: Wiltshire and the national synthesis run again.
    gp = pd.read_csv(example_copy / "gp_survey.csv", dtype=str, keep_default_na=False)
    row = gp.index[gp.site_id == "wiltshire"][0]
    gp.at[row, "trust_asc"] = "Disagree" if gp.at[row, "trust_asc"] != "Disagree" else "Agree"
    gp.to_csv(example_copy / "gp_survey.csv", index=False)
    # (at 150 sites the national notebook is the last to finish; with two sites either may be: its
    # result is handed over last here, as it is there)
    real_map = pipeline.LocalExecutor.map

    def national_last(self, tasks):
        held = []
        for task, result in real_map(self, tasks):
            if task["name"] == "national":
                held.append((task, result))
            else:
                yield task, result
        yield from held

    monkeypatch.setattr(pipeline.LocalExecutor, "map", national_last)
    res = pipeline.run(example_copy, out, sites=sites, jobs=2, parameters_dir=params, progress=False, update=True)
    assert {s.site_id: s.kept for s in res.sites} == {"barnsley": True, "wiltshire": False}
    assert not res.national.kept and not res.failed and res.national.status == "ok"
    now = _files(out)
    published = [k for k in now if k.startswith(("sites/", "national/"))]
    same = [k for k in first if k.startswith(("sites/", "national/"))] == published and all(now[k] == first[k] for k in published)
    assert res.audit["passed"] and bool(res.audit.get("reused")) == same  # changed files are attacked again
    # (here the correction moves published figures of Wiltshire and the national file) ... the
    # unchanged site's programs are taken as settled by the first run's audit, from a private cache
    assert not same and 0 < res.audit["components_reused"] < res.audit["components"]
    # ... and, only the national notebook left to run with a core free, the audit was made on the
    # national tables as predicted, which the notebook then wrote: the audit of the folder as written
    fresh = audit(out)
    assert res.audit["made_ahead"] and "as predicted" in res.audit["summary"]
    assert (res.audit["rows"], res.audit["counts_checked"], res.audit["files"], res.audit["findings"], res.audit["linked_tables"]) == \
           (fresh.rows, fresh.cells, len(fresh.files), len(fresh.findings), fresh.linked_tables)
    cache = pipeline.audit_cache(out)
    assert cache.is_file() and Path(os.environ["HOMEKIT_CACHE"]) in cache.parents and not list(out.rglob("*.pkl"))
    # every site's rows before and after the gate (exact counts) are kept for the next --update, for
    # the owner's eyes only and outside the output folder
    kept = pipeline.prepared_cache(out)
    assert kept.is_file() and kept.stat().st_mode & 0o777 == 0o600 and out not in kept.parents
    assert {k: v for k, v in now.items() if k.startswith("sites/barnsley/")} == \
           {k: v for k, v in first.items() if k.startswith("sites/barnsley/")}
    keys_after = {e["site_id"]: e["key"] for e in json.loads((out / "manifest.json").read_text())["sites"]}
    keys_before = {e["site_id"]: e["key"] for e in manifest["sites"]}
    assert keys_after["wiltshire"]["data"] != keys_before["wiltshire"]["data"]  # (its published figures may round the same)
    assert keys_after["barnsley"] == keys_before["barnsley"]

    # Corrected back, with a prediction of the national tables that the notebook does not write (a
    # row short): the audit made ahead does not stand; the folder as written is audited
    real = pipeline._write_national

    def short(parameters, dest):
        real(parameters, dest)
        lines = (dest / "indicators.csv").read_text().splitlines(keepends=True)
        (dest / "indicators.csv").write_text("".join(lines[:-1]))

    monkeypatch.setattr(pipeline, "_write_national", short)
    gp.at[row, "trust_asc"] = "Disagree" if gp.at[row, "trust_asc"] != "Disagree" else "Agree"
    gp.to_csv(example_copy / "gp_survey.csv", index=False)
    back = pipeline.run(example_copy, out, sites=sites, jobs=2, parameters_dir=params, progress=False, update=True)
    assert [s.kept for s in back.sites] == [True, False] and not back.national.kept
    fresh = audit(out)
    assert back.audit["passed"] and not back.audit["made_ahead"] and "as predicted" not in back.audit["summary"]
    assert (back.audit["rows"], back.audit["counts_checked"]) == (fresh.rows, fresh.cells)
    monkeypatch.undo()
    now = _files(out)

    # A site parameter changed (Barnsley) and a report file damaged by hand (Wiltshire): both rebuilt;
    # the national synthesis reads their indicators, unchanged by either, so it is kept.
    y = yaml.safe_load((params / "sites" / "barnsley.yaml").read_text())
    y["notes"] = "Corrected population figure."
    (params / "sites" / "barnsley.yaml").write_text(yaml.safe_dump(y))
    (out / "sites" / "wiltshire" / "report.html").write_text("edited")
    res = pipeline.run(example_copy, out, sites=sites, jobs=2, parameters_dir=params, progress=False, update=True)
    assert {s.site_id: s.kept for s in res.sites} == {"barnsley": False, "wiltshire": False} and res.national.kept
    assert "Corrected population figure." in (out / "sites" / "barnsley" / "report.html").read_text()
    assert (out / "sites" / "wiltshire" / "report.html").read_bytes() == now["sites/wiltshire/report.html"]

    # Disclosure rules changed: everything runs again.
    with open(params / "disclosure.yaml", "a") as fh:
        fh.write("\n# reviewed\n")
    res = pipeline.run(example_copy, out, sites=sites, jobs=2, parameters_dir=params, progress=False, update=True)
    assert not any(s.kept for s in res.sites) and not res.national.kept


def test_no_cache_keeps_nothing_in_the_cache_folder(example_dir, tmp_path, monkeypatch):
    """--no-cache keeps nothing of the run in the cache folder and removes what an earlier run into
    the same folder kept there; a cache folder inside the output folder is never used."""
    monkeypatch.setenv("HOMEKIT_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    pipeline.run(example_dir, out, sites=["barnsley"], jobs=1, progress=False)
    assert pipeline.prepared_cache(out).is_file() and pipeline.audit_cache(out).is_file()
    res = pipeline.run(example_dir, out, sites=["barnsley"], jobs=1, progress=False, overwrite=True, cache=False)
    assert res.audit["passed"] and res.audit["components_reused"] == 0
    assert not list((tmp_path / "cache").rglob("*.pkl"))
    monkeypatch.setenv("HOMEKIT_CACHE", str(out / "cache"))
    pipeline.run(example_dir, out, sites=["barnsley"], jobs=1, progress=False, overwrite=True)
    assert not (out / "cache").exists()


def test_update_needs_a_previous_run(example_dir, tmp_path):
    with pytest.raises(pipeline.OutputExistsError, match="no previous homekit run"):
        pipeline.run(example_dir, tmp_path / "new", sites=["barnsley"], progress=False, update=True)


def test_nothing_left_behind_after_a_time_limit_kill(tmp_path, monkeypatch):
    """A worker killed for its time limit leaves no kernel, kernel spec, connection file or work folder."""
    import tempfile

    import psutil

    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    tasks = [_task(tmp_path, "slow", "import time\ntime.sleep(120)", 8), _task(tmp_path, "after", "y = 2", 60)]
    results = dict((t["name"], r) for t, r in pipeline.LocalExecutor(1).map(tasks))
    assert results["slow"]["status"] == "failed" and results["after"]["status"] == "ok"
    res = pipeline.execute_task(_task(tmp_path, "slow2", "import time\ntime.sleep(120)", 5))
    assert res["status"] == "failed"
    assert list(private.iterdir()) == []
    leftovers = []
    for p in psutil.process_iter():
        try:
            if any(str(private) in v for v in p.environ().values()):
                leftovers.append(p.cmdline())
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            pass
    assert leftovers == []


def test_kernels_keep_nothing_in_the_users_ipython_folder_and_close_ends_every_process(tmp_path, monkeypatch):
    """A kernel would write a profile and every cell it ran into the user's IPython folder (an
    SQLite history that had grown to 50 MB over a day of batches, and slowed every cell); the
    kernels of a run keep their folder, history included, in the run's scratch folder, removed at
    the end. ``close()`` ends every worker and kernel."""
    import psutil

    home = tmp_path / "users-ipython"
    monkeypatch.setenv("IPYTHONDIR", str(home))
    probe = tmp_path / "probe.txt"
    source = f"ip = get_ipython()\nopen({str(probe)!r}, 'w').write(f'{{ip.history_manager.hist_file}} {{ip.profile_dir.location}}')"
    scratch = tmp_path / "scratch"
    runner = pipeline.LocalExecutor(1, scratch=scratch, keep_warm=True)
    results = [r for _, r in runner.map([_task(tmp_path, "probe", source, 120)])]
    pids = [q.pid for p in runner._procs for q in [psutil.Process(p.pid), *psutil.Process(p.pid).children(recursive=True)]]
    assert len(pids) == 2  # the worker and its kernel
    runner.close()
    assert results[0]["status"] == "ok", results
    history, location = probe.read_text().split(" ", 1)
    assert history.startswith(str(scratch)) and location.startswith(str(scratch))
    assert not home.exists()

    def ended(pid):
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    assert all(ended(pid) for pid in pids)


def test_missing_notebook_stops_the_run_before_anything(example_dir, tmp_path, monkeypatch):
    from homekit import resources

    monkeypatch.setattr(resources, "notebooks_dir", lambda: tmp_path / "nowhere")
    with pytest.raises(pipeline.HomekitError, match="site_analysis.ipynb is missing from this homekit installation"):
        pipeline.run(example_dir, tmp_path / "out", sites=["barnsley"], progress=False)
    assert not (tmp_path / "out").exists()


def test_national_runs_beside_the_sites_and_again_when_one_fails(example_dir, tmp_path, monkeypatch):
    """The national synthesis starts with the site notebooks (first: it is the longest), on the
    sites' rows as the preparation gated them. When a site then fails, it runs again after the
    others, over the sites that succeeded, from their published files."""
    real_map = pipeline.LocalExecutor.map
    calls = []

    def map_(self, tasks):  # croydon's notebook "fails" (not run); the others run for real
        calls.append([t["name"] for t in tasks])
        yield from real_map(self, [t for t in tasks if t["name"] != "croydon"])
        for t in tasks:
            if t["name"] == "croydon":
                yield t, {"status": "failed", "error": "failed on purpose by the test", "seconds": 0.0, "attempts": 1}

    monkeypatch.setattr(pipeline.LocalExecutor, "map", map_)
    res = pipeline.run(example_dir, tmp_path / "out", sites=["barnsley", "croydon", "wiltshire"], jobs=2, progress=False)
    assert calls[0][0] == "national" and sorted(calls[0][1:]) == ["barnsley", "croydon", "wiltshire"]
    assert calls[1:] == [["national"]]
    assert res.national.status == "ok" and [s.site_id for s in res.sites if s.status == "failed"] == ["croydon"]
    key = json.loads((tmp_path / "out" / "manifest.json").read_text())["national"]["key"]
    assert key["sites"] == ["barnsley", "wiltshire"] and sorted(key["site_indicators"]) == ["barnsley", "wiltshire"]


def test_an_audit_made_ahead_and_cut_short_is_made_again(tmp_path):
    """An audit made while the national notebook ran (one process, beside the notebooks) that its
    time limit cut short is not the run's verdict: the folder is audited again, on both cores."""
    from homekit.audit import AuditResult

    for unsettled, used in ((0, True), (3, False)):
        ahead = pipeline._ReadAhead(tmp_path)
        made = AuditResult(tmp_path, [], [], 0, 0, {}, 1.0, unsettled=unsettled)
        ahead._spec = (made, {})  # (an empty folder: the readings of no folder hold)
        assert (ahead.verdict() is made) == used


def test_output_hashes_are_reused_only_for_files_unchanged_and_not_just_written(tmp_path, monkeypatch):
    """A run hashes a kept file once (the --update check, the manifest saying "running", the final
    one), but a file rewritten since, or written within the last moments (file times tick
    coarsely), is hashed again: the manifest never lists a stale hash."""
    import hashlib

    calls = []
    real = pipeline.sha256
    monkeypatch.setattr(pipeline, "sha256", lambda p: calls.append(p) or real(p))
    pipeline._OUTPUT_HASHES.clear()
    new = tmp_path / "new.csv"
    new.write_text("x\n1\n")
    assert pipeline._output_sha256(new) == hashlib.sha256(b"x\n1\n").hexdigest()
    new.write_text("x\n2\n")  # same size, maybe within the same tick of the file clock: still hashed again
    assert pipeline._output_sha256(new) == hashlib.sha256(b"x\n2\n").hexdigest()
    assert len(calls) == 2
    monkeypatch.setattr(pipeline, "_RECENT_NS", 0)  # (as for files written a while ago)
    old = tmp_path / "old.csv"
    old.write_text("a,b\n1,2\n")
    first = pipeline._output_sha256(old)
    assert pipeline._output_sha256(old) == first == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert len(calls) == 3  # hashed once
    time.sleep(0.05)  # (the next tick of the file clock)
    old.write_text("a,b\n9,9\n")  # same size, rewritten: its change time moved
    past = time.time() - 60
    os.utime(old, (past, past))  # (even with its modification time put back)
    assert pipeline._output_sha256(old) == hashlib.sha256(b"a,b\n9,9\n").hexdigest()
    assert len(calls) == 4
