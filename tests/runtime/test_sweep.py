"""Sweeps run in-process or on a local Ray cluster, with the same numbers, and lose nothing."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from attnlab.runtime.sweep import submission_order, sweep, tally
from tests import sweep_tasks
from tests.conftest import ROOT


def configs(n: int = 8) -> list[dict]:
    return [dict(seed=s, steps=20 + s) for s in range(n)]


def test_in_process_caches_each_result_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_CACHE", str(tmp_path))
    calls = []

    def compute(config):
        calls.append(config["seed"])
        return sweep_tasks.train_tiny(config)

    start = tally()
    first = sweep(compute, configs(4), namespace="t", address="", show_progress=False)
    assert calls == [0, 1, 2, 3]
    again = sweep(compute, configs(5), namespace="t", address="", show_progress=False)
    assert calls == [0, 1, 2, 3, 4] and again[:4] == first  # only the new configuration ran
    assert {k: v - start[k] for k, v in tally().items()} == {"computed": 5, "cached": 4}
    assert len(list((tmp_path / "t").glob("*.json"))) == 5


def test_submission_order_costliest_first_ties_as_given():
    cfgs = [dict(n=n) for n in (3, 9, 1, 9, 5)]
    assert submission_order([0, 1, 2, 3, 4], cfgs, lambda c: c["n"]) == [1, 3, 4, 0, 2]
    assert submission_order([4, 2, 0], cfgs, lambda c: c["n"]) == [4, 0, 2]  # only what is left to do
    assert submission_order([2, 0], cfgs, None) == [2, 0]


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="^compute must be a function"):
        sweep(None, configs(1), namespace="t", address="")
    with pytest.raises(TypeError, match=r"^configs\[1\] must be a dict"):
        sweep(sweep_tasks.train_tiny, [{"seed": 0}, 3], namespace="t", address="")


# -- a local Ray cluster, started by the tests ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster():
    """A Ray head node on 127.0.0.1 for this module's tests. Under pytest-xdist every worker that
    runs one of them starts its own, and ``ray stop --force`` at teardown stops every Ray process
    on the machine: a lock file makes one worker's cluster wait until another's is gone."""
    pytest.importorskip("ray", reason='Ray is the cluster extra: pip install -e ".[cluster]"')
    with open(Path(tempfile.gettempdir()) / "attnlab-test-ray-cluster.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, after the teardown
        yield from _cluster()


def _cluster():
    ray_cli = shutil.which("ray", path=os.path.dirname(sys.executable)) or shutil.which("ray")
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    start = [ray_cli, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2"]
    subprocess.run(
        [*start, "--include-dashboard=false", "--disable-usage-stats"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    try:
        yield f"127.0.0.1:{port}"
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        subprocess.run([ray_cli, "stop", "--force"], env=env, capture_output=True, timeout=120)


@pytest.fixture()
def on_cluster(cluster, monkeypatch):
    """Connect this process to the test cluster for one test."""
    import ray

    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # a cluster on 127.0.0.1 only, for these tests
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    if not ray.is_initialized():
        ray.init(address=cluster, include_dashboard=False, log_to_driver=False, configure_logging=False)
    return cluster


def test_ray_sweep_gives_the_in_process_numbers(on_cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_CACHE", str(tmp_path / "ray"))
    on_ray = sweep(sweep_tasks.train_tiny, configs(8), namespace="t", address=on_cluster, show_progress=False)
    assert len(list((tmp_path / "ray" / "t").glob("*.json"))) == 8
    monkeypatch.setenv("ATTNLAB_CACHE", str(tmp_path / "local"))
    local = sweep(sweep_tasks.train_tiny, configs(8), namespace="t", address="", show_progress=False)
    assert on_ray == local


def test_a_killed_worker_is_retried(on_cluster, tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_CACHE", str(tmp_path))
    todo = [dict(seed=s, marker=str(tmp_path / f"killed-{s}")) for s in range(2)]
    results = sweep(sweep_tasks.die_once, todo, namespace="t", address=on_cluster, show_progress=False)
    assert all((tmp_path / f"killed-{s}").exists() for s in range(2))  # each first attempt died
    assert results == [sweep_tasks.train_tiny(c) for c in todo]


def test_a_killed_driver_loses_nothing(cluster, tmp_path):
    gate, log = tmp_path / "gate", tmp_path / "log"
    todo = [dict(seed=s, wait=s >= 2, gate=str(gate), log=str(log)) for s in range(4)]
    (tmp_path / "configs.json").write_text(json.dumps(todo))
    cache = tmp_path / "cache"
    script = (
        "import json, sys; from attnlab.runtime.sweep import sweep; from tests import sweep_tasks; "
        f"sweep(sweep_tasks.gated, json.load(open({str(tmp_path / 'configs.json')!r})), namespace='t', "
        f"address={cluster!r}, show_progress=False)"
    )
    env = {
        **os.environ,
        "ATTNLAB_CACHE": str(cache),
        "PYTHONPATH": str(ROOT),
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "disabled",
    }
    driver = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env)
    deadline = time.monotonic() + 240
    while len(list((cache / "t").glob("*.json"))) < 2 and time.monotonic() < deadline:
        assert driver.poll() is None, "the driver ended before it was killed"
        time.sleep(0.2)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    assert len(list((cache / "t").glob("*.json"))) == 2  # the two gated configurations never finished
    gate.write_text("open")
    rerun = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, timeout=240)
    assert rerun.returncode == 0
    done = sorted(line for line in log.read_text().splitlines())
    assert done == ["done 0", "done 1", "done 2", "done 3"]  # nothing computed twice
    os.environ["ATTNLAB_CACHE"], saved = str(cache), os.environ.get("ATTNLAB_CACHE")
    try:
        assert sweep(sweep_tasks.gated, todo, namespace="t", address="") == [
            sweep_tasks.train_tiny(c) for c in todo
        ]
    finally:
        if saved is None:
            del os.environ["ATTNLAB_CACHE"]
        else:
            os.environ["ATTNLAB_CACHE"] = saved
