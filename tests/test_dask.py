"""The Dask executor: three sites through a 2-worker LocalCluster give the same indicators.csv
bytes as the local executor."""

import pytest

distributed = pytest.importorskip("distributed")

from homekit import pipeline  # noqa: E402

SITES = ["barnsley", "redcar_cleveland", "wolverhampton"]


def test_localcluster_matches_local_executor(example_dir, tmp_path):
    from distributed import Client, LocalCluster

    local = pipeline.run(example_dir, tmp_path / "local", sites=SITES, jobs=2, progress=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        remote = pipeline.run(example_dir, tmp_path / "dask", sites=SITES, executor="dask", client=client,
                              work_dir=tmp_path / "shared_work", progress=False)
    # every site and the synthesis ran on both executors (the disclosure audit's verdict, exit 3
    # when it fails, is the gate's business and must agree between them)
    assert not local.failed and not remote.failed
    assert local.national.status == remote.national.status == "ok"
    assert local.exit_code == remote.exit_code and local.audit["findings"] == remote.audit["findings"]
    for where in [f"sites/{s}" for s in SITES] + ["national"]:
        a = (local.output_dir / where / "indicators.csv").read_bytes()
        b = (remote.output_dir / where / "indicators.csv").read_bytes()
        assert a == b, where
    assert not list((tmp_path / "shared_work").glob("slice_*.pkl"))  # raw slices removed after the run
