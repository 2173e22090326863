"""The batch: validate, run every site notebook in parallel, then the national synthesis.

``run()`` is what ``homekit run`` calls:

1. validate the whole data folder (a :class:`ValidationError` stops the run; nothing is written);
2. read the data once and hand each site notebook its own slice (a private work folder, outside
   the output folder, removed at the end: raw rows never land in the outputs);
3. execute the site notebooks through papermill in worker processes (local, or on a Dask
   cluster), each under a whole-notebook time limit, with a progress bar; a site that fails is
   reported and the others go on;
4. run the national synthesis over the sites that succeeded;
5. convert every executed notebook to HTML without code;
6. attack the published files with :func:`homekit.audit.audit` (the run's disclosure audit);
7. write ``index.html`` and a JSON manifest (inputs with SHA-256 before and after the run,
   parameters, timings, outputs, the audit's verdict).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from . import __version__
from .exceptions import HomekitError
from .io import sha256
from .loaders import load_data_dir

__all__ = ["run", "RunResult", "OutputExistsError", "NOTEBOOKS", "PARAMETERS"]

PACKAGE_ROOT = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_ROOT.parent
NOTEBOOKS = Path(os.environ.get("HOMEKIT_NOTEBOOKS", REPO_ROOT / "notebooks"))
PARAMETERS = Path(os.environ.get("HOMEKIT_PARAMETERS", REPO_ROOT / "parameters"))
MANIFEST = "manifest.json"


class OutputExistsError(HomekitError):
    """The output folder holds a previous run (or other files) and --overwrite was not given."""


@dataclass
class SiteRun:
    site_id: str
    status: str = "pending"
    error: str | None = None
    seconds: float = 0.0
    attempts: int = 0
    outputs: list = field(default_factory=list)


@dataclass
class RunResult:
    output_dir: Path
    sites: list[SiteRun]
    national: SiteRun | None
    manifest: dict
    audit: dict | None = None

    @property
    def failed(self) -> list[SiteRun]:
        return [s for s in self.sites if s.status != "ok"]

    @property
    def audit_failed(self) -> bool:
        return self.audit is not None and not self.audit.get("passed", False)

    @property
    def exit_code(self) -> int:
        """0 all good; 1 some site or the synthesis failed; 3 everything ran but the disclosure
        audit failed (do not publish). An incomplete run (1) is not publishable either."""
        national_ok = self.national is not None and self.national.status == "ok"
        if self.failed or not national_ok:
            return 1
        return 3 if self.audit_failed else 0


def _prepare_output(out: Path, overwrite: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise OutputExistsError(f"{out} is not empty; choose a new folder or pass --overwrite to replace a previous run")
        if not (out / MANIFEST).exists():
            raise OutputExistsError(f"{out} is not empty and holds no homekit run ({MANIFEST}); refusing to overwrite it")
        for child in out.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _site_parameters(site_id: str, parameters_dir: Path) -> dict:
    path = parameters_dir / "sites" / f"{site_id}.yaml"
    if not path.exists():
        return {}
    params = yaml.safe_load(path.read_text()) or {}
    params.pop("site_id", None)
    return params


class LocalExecutor:
    """``jobs`` worker processes, each running notebooks one after another on one reused kernel.

    A worker is a new process session (``python -m homekit.worker --serve``): a notebook over its
    time limit is stopped by killing the worker's whole process group (kernel included) and a
    fresh worker takes the remaining tasks.
    """

    def __init__(self, jobs: int):
        self.jobs = max(1, int(jobs))

    def map(self, tasks: list[dict]):
        import queue
        import threading

        todo: queue.Queue = queue.Queue()
        for t in tasks:
            todo.put(t)
        done: queue.Queue = queue.Queue()

        def lane():
            proc = lines = None
            while True:
                try:
                    task = todo.get_nowait()
                except queue.Empty:
                    break
                if proc is None or proc.poll() is not None:
                    proc, lines = _start_worker()
                done.put((task, _serve_one(proc, lines, task)))
                if proc.poll() is not None:
                    proc = None
            if proc is not None:
                _stop_worker(proc)

        threads = [threading.Thread(target=lane, daemon=True) for _ in range(min(self.jobs, len(tasks)))]
        for th in threads:
            th.start()
        for _ in range(len(tasks)):
            yield done.get()
        for th in threads:
            th.join()


def _start_worker():
    import queue
    import threading

    env = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    proc = subprocess.Popen([sys.executable, "-m", "homekit.worker", "--serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True, env=env, text=True, bufsize=1)
    lines: queue.Queue = queue.Queue()

    def read():
        for line in proc.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return proc, lines


def _kill(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _stop_worker(proc) -> None:
    try:
        proc.stdin.close()
        proc.wait(timeout=30)
    except (subprocess.TimeoutExpired, OSError):
        _kill(proc)


def _serve_one(proc, lines, task: dict) -> dict:
    """Hand one task to a serving worker and wait for it under the task's time limit."""
    import queue

    start = time.time()
    Path(task["result"]).unlink(missing_ok=True)
    try:
        proc.stdin.write(json.dumps(task) + "\n")
        proc.stdin.flush()
    except OSError:
        _kill(proc)
        return {"status": "failed", "error": "the worker process stopped before the notebook ran", "seconds": 0, "attempts": 1}
    deadline = start + float(task["timeout"])
    while True:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.time()))
        except queue.Empty:
            _kill(proc)
            return {"status": "failed", "error": f"time limit of {task['timeout']} s reached; the notebook was stopped",
                    "seconds": round(time.time() - start, 2), "attempts": 1}
        if line is None:  # the worker died
            _kill(proc)
            return {"status": "failed", "error": "the worker process died while running the notebook",
                    "seconds": round(time.time() - start, 2), "attempts": 1}
        if line == f"done {task['name']}":
            result_file = Path(task["result"])
            if result_file.exists():
                return json.loads(result_file.read_text())
            return {"status": "failed", "error": "worker gave no result", "seconds": round(time.time() - start, 2), "attempts": 1}


class DaskExecutor:
    """Tasks sent to a Dask distributed cluster; inputs and outputs on a path the workers share."""

    def __init__(self, scheduler: str | None = None, client=None):
        from distributed import Client

        self.client = client or Client(scheduler)
        self._own = client is None

    def map(self, tasks: list[dict]):
        from distributed import as_completed

        # Chunks of sites, each run by one serving worker process (one kernel) on a Dask worker:
        # about two chunks per Dask thread so the load stays balanced.
        threads = sum(self.client.nthreads().values()) or 1
        size = max(1, math.ceil(len(tasks) / (2 * threads)))
        chunks = [tasks[i:i + size] for i in range(0, len(tasks), size)]
        futures = {self.client.submit(execute_chunk, c, key=f"homekit-{c[0]['name']}-{time.time_ns()}", pure=False): c for c in chunks}
        for f in as_completed(list(futures)):
            try:
                results = f.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker fails its sites, not the batch
                results = [{"status": "failed", "error": f"worker error: {exc}", "seconds": 0, "attempts": 1}] * len(futures[f])
            yield from zip(futures[f], results)

    def close(self):
        if self._own:
            self.client.close()


def execute_chunk(tasks: list[dict]) -> list[dict]:
    """Run several notebook tasks in order on one serving worker (used on Dask workers)."""
    proc, lines = _start_worker()
    results = []
    for task in tasks:
        if proc.poll() is not None:
            proc, lines = _start_worker()
        results.append(_serve_one(proc, lines, task))
    if proc.poll() is None:
        _stop_worker(proc)
    return results


def execute_task(task: dict) -> dict:
    """Run one notebook task in a fresh process under the task's time limit."""
    task_file = Path(task["task_file"])
    task_file.write_text(json.dumps(task))
    cmd = [sys.executable, "-m", "homekit.worker", str(task_file)]
    env = {**os.environ, "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg"}
    start = time.time()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env, text=True)
    try:
        _, err = proc.communicate(timeout=task["timeout"])
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        return {"status": "failed", "error": f"time limit of {task['timeout']} s reached; the notebook was stopped",
                "seconds": round(time.time() - start, 2), "attempts": 1}
    result_file = Path(task["result"])
    if result_file.exists():
        return json.loads(result_file.read_text())
    tail = (err or "").strip().splitlines()[-3:]
    return {"status": "failed", "error": "worker exited without a result: " + " | ".join(tail), "seconds": round(time.time() - start, 2),
            "attempts": 1}


def run(
    data_dir: str | os.PathLike,
    output_dir: str | os.PathLike,
    *,
    sites: list[str] | None = None,
    jobs: int = 2,
    timeout: float = 900,
    overwrite: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
    client=None,
    parameters_dir: str | os.PathLike | None = None,
    work_dir: str | os.PathLike | None = None,
    progress: bool = True,
    redact_names: list[str] | None = None,
    notebooks_dir: str | os.PathLike | None = None,
) -> RunResult:
    """Run the whole batch. See the module docstring; raises ValidationError before writing anything."""
    from tqdm.auto import tqdm

    from .indicators import compute_indicators

    data_dir = Path(data_dir).resolve()
    out = Path(output_dir).resolve()
    params_dir = Path(parameters_dir or PARAMETERS).resolve()
    started = dt.datetime.now(dt.timezone.utc)
    data = load_data_dir(data_dir)  # raises ValidationError: nothing written yet
    chosen = list(sites) if sites else data.site_ids
    unknown = [s for s in chosen if s not in set(data.site_ids)]
    if unknown:
        raise HomekitError(f"unknown site(s) {', '.join(unknown)}; sites are {', '.join(data.site_ids)}")
    if data_dir == out or data_dir in out.parents:
        raise HomekitError("the output folder must not be inside the data folder (raw data is never written to)")
    if notebooks_dir and (Path(notebooks_dir).resolve() == out or out in Path(notebooks_dir).resolve().parents):
        raise HomekitError("the folder for executed notebooks must be outside the output folder (they are not published)")
    inputs_before = {s.path: s.sha256 for s in data.sources}
    _prepare_output(out, overwrite)
    own_work = work_dir is None
    work = Path(work_dir or tempfile.mkdtemp(prefix="homekit-run-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    # Executed notebooks are not published: they need the run's private data slices to re-run and
    # may hold a traceback or path. They go to the work folder, or to ``notebooks_dir`` if asked.
    nb_dir = Path(notebooks_dir).resolve() if notebooks_dir else work / "notebooks"
    nb_dir.mkdir(parents=True, exist_ok=True)
    disclosure_file = params_dir / "disclosure.yaml"
    benefits_file = params_dir / "benefits.yaml"
    try:
        from .disclosure import disclose_indicators, load_rules
        from .indicators.compare import spread_of_sites

        national_raw = compute_indicators(data, level="national")
        # The national figures the site reports show, as published (after the gate, checked
        # against the sites so that national minus the published sites gives nothing small back).
        national_ind = disclose_indicators(national_raw, load_rules(disclosure_file if disclosure_file.exists() else None, "national"),
                                           sites=compute_indicators(data))
        national_file = work / "national_indicators.csv"
        national_ind.to_csv(national_file, index=False)
        # Exact national counts (private, never published): a site's comparison with the other
        # sites is these minus the site's own counts.
        counts_file = work / "national_counts.csv"
        national_raw.to_csv(counts_file, index=False)
        # The range of every site's published figures (spine charts): from the sites' rows after
        # the gate, so the site notebooks see no more than the other sites publish themselves.
        site_rules = load_rules(disclosure_file if disclosure_file.exists() else None, "site")
        spread_file = work / "site_spread.csv"
        spread_of_sites(disclose_indicators(compute_indicators(data, national=national_raw), site_rules)).to_csv(spread_file, index=False)
        tasks = []
        for site_id in chosen:
            part = data.site(site_id)
            slice_file = work / f"slice_{site_id}.pkl"
            pd.to_pickle({"data": part, "sources": data.sources}, slice_file)
            site_out = out / "sites" / site_id
            site_out.mkdir(parents=True, exist_ok=True)
            params = {
                "site_id": site_id, "data_slice": str(slice_file), "national_file": str(national_file), "counts_file": str(counts_file),
                "spread_file": str(spread_file),
                "output_dir": str(site_out),
                "disclosure_file": str(disclosure_file) if disclosure_file.exists() else "",
                "benefits_file": str(benefits_file) if benefits_file.exists() else "",
                "redact_names": list(redact_names or []), **_site_parameters(site_id, params_dir),
            }
            name = str(data.sites.set_index("site_id").loc[site_id, "site_name"])
            tasks.append({"name": site_id, "notebook": str(NOTEBOOKS / "site_analysis.ipynb"),
                          "output_notebook": str(nb_dir / f"{site_id}.ipynb"), "html": str(site_out / "report.html"),
                          "title": f"{name}: Home Truths site report", "parameters": params, "cwd": str(NOTEBOOKS),
                          "timeout": timeout, "task_file": str(work / f"task_{site_id}.json"), "result": str(work / f"result_{site_id}.json")})
        runner = DaskExecutor(scheduler, client) if executor == "dask" else LocalExecutor(jobs)
        results: dict[str, SiteRun] = {}
        try:
            bar = tqdm(total=len(tasks), desc="site reports", unit="site", disable=not progress, file=sys.stderr)
            for task, res in runner.map(tasks):
                results[task["name"]] = SiteRun(task["name"], res["status"], res.get("error"), res.get("seconds", 0), res.get("attempts", 0))
                bar.set_postfix_str(f"{task['name']}: {res['status']}")
                bar.update(1)
            bar.close()
            ok_sites = [s for s in chosen if results[s].status == "ok"]
            full_file = work / "data.pkl"
            pd.to_pickle({"data": data}, full_file)
            nat_out = out / "national"
            nat_out.mkdir(parents=True, exist_ok=True)
            nat_params = {"data_file": str(full_file), "sites": ok_sites, "site_dirs": str(out / "sites"), "output_dir": str(nat_out),
                          "disclosure_file": str(disclosure_file) if disclosure_file.exists() else "",
                          "benefits_file": str(benefits_file) if benefits_file.exists() else ""}
            nat_yaml = params_dir / "national.yaml"
            if nat_yaml.exists():
                nat_params.update(yaml.safe_load(nat_yaml.read_text()) or {})
            nat_task = {"name": "national", "notebook": str(NOTEBOOKS / "national_synthesis.ipynb"),
                        "output_notebook": str(nb_dir / "national.ipynb"), "html": str(nat_out / "report.html"),
                        "title": "Home Truths: national synthesis", "parameters": nat_params, "cwd": str(NOTEBOOKS),
                        "timeout": timeout * 2, "task_file": str(work / "task_national.json"), "result": str(work / "result_national.json")}
            if ok_sites:
                res = next(iter(runner.map([nat_task])))[1]
                national = SiteRun("national", res["status"], res.get("error"), res.get("seconds", 0), res.get("attempts", 0))
            else:
                national = SiteRun("national", "failed", "no site succeeded", 0, 0)
        finally:
            if isinstance(runner, DaskExecutor):
                runner.close()
    finally:
        if own_work:
            shutil.rmtree(work, ignore_errors=True)
        else:
            for f in work.glob("slice_*.pkl"):
                f.unlink()
            (work / "data.pkl").unlink(missing_ok=True)
    inputs_after = {p: sha256(p) for p in inputs_before}
    site_runs = [results[s] for s in chosen]
    verdict = _audit(out)
    manifest = _manifest(data, data_dir, out, params_dir, site_runs, national, inputs_before, inputs_after, started,
                         {"jobs": jobs, "timeout": timeout, "executor": executor, "sites": chosen})
    manifest["audit"] = verdict
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    write_index(out, data, site_runs, national, manifest)
    if inputs_before != inputs_after:
        raise HomekitError("input files changed during the run (SHA-256 differs); see manifest.json")
    return RunResult(out, site_runs, national, manifest, verdict)


def _audit(out: Path) -> dict:
    """The run ends with its own attacker: what can be worked back from what it published."""
    from .audit import audit

    result = audit(out)
    verdict = result.verdict()
    verdict["summary"] = result.summary()
    return verdict


def _outputs(folder: Path, root: Path) -> list[dict]:
    return [{"path": str(p.relative_to(root)), "sha256": sha256(p), "bytes": p.stat().st_size}
            for p in sorted(folder.rglob("*")) if p.is_file()]


def _manifest(data, data_dir, out, params_dir, site_runs, national, before, after, started, options) -> dict:
    import platform

    finished = dt.datetime.now(dt.timezone.utc)
    param_files = {str(p.relative_to(params_dir)): sha256(p) for p in sorted(params_dir.rglob("*.yaml"))} if params_dir.exists() else {}
    return {
        "homekit_version": __version__,
        "python": platform.python_version(),
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "data_dir": Path(data_dir).name,  # the folder name only: a server path is never published
        "options": options,
        "inputs": [{"instrument": s.instrument, "file": Path(s.path).name, "rows": s.rows, "sha256_before": before[s.path],
                    "sha256_after": after[s.path], "unchanged": before[s.path] == after[s.path]} for s in data.sources],
        "parameters": param_files,
        "sites": [{"site_id": s.site_id, "status": s.status, "error": s.error, "seconds": s.seconds, "attempts": s.attempts}
                  for s in site_runs],
        "national": {"status": national.status, "error": national.error, "seconds": national.seconds},
        "outputs": _outputs(out, out),
    }


_INDEX_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;max-width:1000px;margin:2em auto;color:#212b32;padding:0 1em}
h1{color:#005eb8} table{border-collapse:collapse;width:100%;margin:1em 0} th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #d8dde0}
th{background:#f0f4f5} .audit-failed{background:#d5281b;color:#fff;padding:1em;font-weight:600}
.audit-failed li{font-weight:400;font-family:monospace;font-size:12px} .audit-passed{color:#007f3b} .ok{color:#007f3b;font-weight:600} .failed{color:#d5281b;font-weight:600} .err{font-family:monospace;font-size:12px;color:#425563}
a{color:#005eb8} .meta{color:#425563;font-size:14px}
"""


def write_index(out: Path, data, site_runs, national, manifest) -> Path:
    """``index.html``: the status of every site with links to its report, indicators and summary."""
    names = data.sites.set_index("site_id")
    rows = []
    for s in site_runs:
        rel = f"sites/{s.site_id}"
        links = []
        for f, label in (("report.html", "report"), ("indicators.csv", "indicators.csv"), ("change.csv", "change.csv"),
                         ("summary.xlsx", "summary.xlsx")):
            if (out / rel / f).exists():
                links.append(f'<a href="{rel}/{f}">{label}</a>')
        err = f'<div class="err">{html.escape(s.error or "")}</div>' if s.error else ""
        rows.append(f"<tr><td>{html.escape(str(names.loc[s.site_id, 'site_name']))}</td><td>{int(names.loc[s.site_id, 'wave'])}</td>"
                    f'<td class="{s.status}">{s.status}</td><td>{" · ".join(links)}{err}</td><td>{s.seconds:.0f} s</td></tr>')
    nat_links = " · ".join(f'<a href="national/{f}">{label}</a>' for f, label in
                           (("report.html", "national report"), ("indicators.csv", "indicators.csv"), ("change.csv", "change.csv"),
                            ("summary.xlsx", "summary.xlsx"))
                           if (out / "national" / f).exists())
    n_ok = sum(s.status == "ok" for s in site_runs)
    nat_err = f'<div class="err">{html.escape(national.error or "")}</div>' if national.error else ""
    audit_html = _audit_html(manifest.get("audit"))
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Home Truths reports</title><style>{_INDEX_CSS}</style></head>
<body><h1>Home Truths reports</h1>
{audit_html}
<p class="meta">homekit {html.escape(manifest['homekit_version'])} · run finished {html.escape(manifest['finished'])} ·
{n_ok} of {len(site_runs)} sites succeeded · inputs unchanged: {all(i['unchanged'] for i in manifest['inputs'])}</p>
<h2>National synthesis</h2>
<p class="{national.status}">{national.status}</p><p>{nat_links}</p>{nat_err}
<h2>Sites</h2>
<table><thead><tr><th>site</th><th>wave</th><th>status</th><th>outputs</th><th>time</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<p class="meta">Figures in every report have passed disclosure control: counts about people from 1 to 7 read [c] and other counts are rounded to 5; opinions of professionals are shown only for groups of at least 11.
Run details: <a href="{MANIFEST}">{MANIFEST}</a>.</p>
</body></html>
"""
    path = out / "index.html"
    path.write_text(doc, encoding="utf-8")
    return path


def _audit_html(verdict: dict | None) -> str:
    if not verdict:
        return ""
    text = html.escape(verdict.get("summary", ""))
    if verdict.get("passed"):
        return f'<p class="audit-passed">Disclosure audit: {text}.</p>'
    items = "".join(
        f"<li>{html.escape(f['file'])}: {html.escape(f['indicator'])} {html.escape(f['group'])}: {html.escape(f['cell'])} "
        f"recovered {html.escape(f['recovered'])} by {html.escape(f['attack'])} ({html.escape(f['rule'])})</li>"
        for f in verdict.get("first_findings", [])[:10])
    text = html.escape(verdict.get("summary", "").replace("audit FAILED: ", "", 1))
    return (f'<div class="audit-failed" role="alert">DISCLOSURE AUDIT FAILED: do not publish these files. {text}.'
            f"<ul>{items}</ul>Run <code>homekit audit OUT --all</code> for every finding.</div>")
