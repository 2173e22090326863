"""The notebook worker: kernel start failures are retried, cell errors are not; HTML has no code."""

import nbformat
import pytest

from homekit import worker


def _notebook(path, source="x = 1"):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("site_id = 'a'")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, str(path))
    return str(path)


def test_kernel_start_failure_is_retried(tmp_path, monkeypatch):
    import papermill

    calls = []
    real = papermill.execute_notebook

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", flaky)
    task = {"notebook": _notebook(tmp_path / "n.ipynb"), "output_notebook": str(tmp_path / "out.ipynb"), "parameters": {}}
    result = worker.run_task(task)
    assert result["status"] == "ok" and result["attempts"] == 2


def test_cell_error_is_not_retried(tmp_path):
    task = {"notebook": _notebook(tmp_path / "n.ipynb", "raise ValueError('broken on purpose')"),
            "output_notebook": str(tmp_path / "out.ipynb"), "parameters": {}}
    result = worker.run_task(task)
    assert result["status"] == "failed" and result["attempts"] == 1
    assert "ValueError: broken on purpose" in result["error"]
    assert (tmp_path / "out.ipynb").exists()  # the executed notebook with its error is kept


@pytest.mark.parametrize("text, expected", [("Kernel died before replying", True), ("Timeout waiting for kernel_info reply", True),
                                            ("ValueError: x", False)])
def test_kernel_failure_classification(text, expected):
    assert worker.is_kernel_start_failure(RuntimeError(text)) is expected


def test_html_without_code_or_parameters(tmp_path):
    code = ("import warnings, IPython.display as d\n"
            "print('printed text')\n"
            "warnings.warn('a warning with /srv/path')\n"
            "d.display(d.HTML('<h2>visible section</h2>'))")
    task = {"notebook": _notebook(tmp_path / "n.ipynb", code), "output_notebook": str(tmp_path / "out.ipynb"),
            "parameters": {"site_id": "b"}, "html": str(tmp_path / "r.html"), "title": "t"}
    assert worker.run_task(task)["status"] == "ok"
    html = (tmp_path / "r.html").read_text()
    assert "<h2>visible section</h2>" in html  # a section's own output is published
    assert "printed text" not in html and "warning" not in html.lower() and "/srv/path" not in html  # streams are not
    assert "print(" not in html and "site_id" not in html


def test_kept_kernel_runs_notebooks_on_one_client(tmp_path):
    """A reused kernel serves every notebook through one connected client: each notebook gets its
    own outputs only (a slow cell of the first cannot leak into the second) and a cleared
    namespace, after a restart too, and shutting the kernel down closes the client."""
    worker._ensure_kernel_spec()
    km = worker._fresh_kernel()
    try:
        clients = []
        real = km.client

        def counted(**kw):
            c = real(**kw)
            clients.append(c)
            return c

        km.client = counted
        outs = []
        second = ("import gc, types\nassert 'leftover' not in globals()  # the first notebook's namespace is gone\n"
                  "assert isinstance(gc.collect, types.BuiltinFunctionType)  # and the collector is Python's own again\n"
                  "assert gc.get_freeze_count() > 10_000  # what the kernel preloaded is set aside from the collector\n"
                  "print('second'); 'second done'")
        for k, code in enumerate(["import time\nleftover = 1\nfor i in range(3):\n    print('first', i); time.sleep(0.05)\n'first done'",
                                  second]):
            task = {"notebook": _notebook(tmp_path / f"n{k}.ipynb", code), "output_notebook": str(tmp_path / f"o{k}.ipynb"),
                    "parameters": {"site_id": "b"}}
            assert worker.run_task(task, km=km)["status"] == "ok"
            outs.append(nbformat.read(str(tmp_path / f"o{k}.ipynb"), as_version=4))
        km.restart_kernel(now=True)
        task = {"notebook": _notebook(tmp_path / "n2.ipynb", "'after restart'"), "output_notebook": str(tmp_path / "o2.ipynb"),
                "parameters": {"site_id": "b"}}
        assert worker.run_task(task, km=km)["status"] == "ok"
        outs.append(nbformat.read(str(tmp_path / "o2.ipynb"), as_version=4))
        texts = [str([o for c in nb.cells for o in c.get("outputs", [])]) for nb in outs]
        assert "first done" in texts[0] and "second" not in texts[0]
        assert "second done" in texts[1] and "first" not in texts[1]
        assert "after restart" in texts[2]
        assert len(clients) == 3 and len({id(c) for c in clients}) == 1  # one client, asked for three times
        kept = clients[0]
    finally:
        worker._shutdown(km)
    assert not kept._kc.channels_running
