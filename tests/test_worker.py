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
