import json
import os
import subprocess
import sys
import time

import pytest

from attnlab.book import plans
from attnlab.book.plans import PLANNERS, page_work
from attnlab.book.profiles import SIZES
from attnlab.runtime.work import Work, total
from tests.conftest import ROOT


def fake_planner(cfg):
    """A planner for the tests: work read off the page's sizes."""
    return Work(runs=cfg.seeds, steps=cfg.steps, flops=1e6 * cfg.steps)


def not_a_planner(cfg):
    return 3


def test_every_training_page_has_a_planner_and_sizes():
    assert set(PLANNERS) == {
        "12_training_rank_heads",
        "15_depth_long_context",
        "24_training_composition",
        "25_strassen_attention",
        "26_strassen_paper",
    }
    for notebook, plan in PLANNERS.items():
        assert plan.__module__.startswith("attnlab.") and plan.__name__ == "planned_work", plan
        assert notebook in SIZES


def test_page_work_plans_from_the_sizes(monkeypatch):
    monkeypatch.setitem(PLANNERS, "12_training_rank_heads", fake_planner)
    for profile in ("quick", "laptop", "paper"):
        sizes = SIZES["12_training_rank_heads"][profile]
        assert page_work("12_training_rank_heads", profile) == Work(
            sizes.seeds, sizes.steps, 1e6 * sizes.steps
        )


def test_page_work_names_bad_arguments(monkeypatch):
    with pytest.raises(ValueError, match="^notebook must be one of"):
        page_work("00_attention", "quick")
    with pytest.raises(ValueError, match="^profile must be one of"):
        page_work("12_training_rank_heads", "huge")
    monkeypatch.setitem(PLANNERS, "12_training_rank_heads", not_a_planner)
    with pytest.raises(TypeError, match="must return a Work"):
        plans.page_work("12_training_rank_heads", "quick")


def test_every_training_page_lists_its_runs():
    assert set(plans.RUNS) == set(PLANNERS)
    for notebook in PLANNERS:
        runs = plans.RUNS[notebook](SIZES[notebook]["quick"], 0)
        assert runs and all(plans.step_flops(c) > 0 for c in runs)


@pytest.mark.parametrize("profile", ["quick", "laptop", "paper"])
def test_the_runs_are_the_planned_work(profile):
    # a model that two of page 12's figures share is one run, in the plan and in the runs
    for notebook in PLANNERS:
        runs = plans.RUNS[notebook](SIZES[notebook][profile], 0)
        assert total(c.work() for c in runs) == page_work(notebook, profile)


def test_one_model_keeps_the_shape_and_cuts_the_models():
    for notebook in ("12_training_rank_heads", "24_training_composition"):
        runs = plans.RUNS[notebook](SIZES[notebook]["quick"], 0)
        big = max(runs, key=plans.step_flops)
        one = plans.one_model(big)
        assert one.model == big.model and one.batch == big.batch
        assert plans.step_flops(one) < plans.step_flops(big)


def test_time_step_cuts_a_step_above_the_cap():
    run = max(
        plans.RUNS["24_training_composition"](SIZES["24_training_composition"]["quick"], 0),
        key=plans.step_flops,
    )
    whole = plans.time_step(run, steps=1, warmup=0)
    assert not whole.cut and whole.flops == plans.step_flops(run) and whole.seconds > 0
    cut = plans.time_step(run, steps=1, warmup=0, max_flops=plans.step_flops(run) / 10)
    assert cut.cut and cut.flops <= plans.step_flops(run) / 10 and "K=1" in cut.label
    with pytest.raises(ValueError, match="^max_flops"):
        plans.time_step(run, max_flops=0)


def test_time_step_times_until_its_floor(monkeypatch):
    calls = []
    step = lambda: (calls.append(1), time.sleep(0.01))  # noqa: E731
    monkeypatch.setattr(plans, "run_step_timer", lambda cfg, device: step)
    run = plans.RUNS["24_training_composition"](SIZES["24_training_composition"]["quick"], 0)[0]
    t = plans.time_step(run, steps=2, warmup=0, min_seconds=0.1)
    assert len(calls) >= 10 and 0.01 <= t.seconds < 0.1


def test_estimate_fits_a_fixed_cost_and_a_rate():
    e = plans.estimate("24_training_composition", "quick", steps=1, warmup=0)
    assert e.work == page_work("24_training_composition", "quick")
    assert e.per_step >= 0 and e.per_flop > 0 and e.gflops > 0 and not e.timed
    assert e.seconds == pytest.approx(e.per_step * e.work.steps + e.per_flop * e.work.flops)
    with pytest.raises(ValueError, match="^notebook must be one of"):
        plans.estimate("00_attention", "quick")
    with pytest.raises(ValueError, match="^max_runs"):
        plans.estimate("24_training_composition", "quick", max_runs=-1)


def test_estimate_times_the_heaviest_runs_on_their_own():
    page = "25_strassen_attention"
    runs = plans.RUNS[page](SIZES[page]["quick"], 0)
    one = plans.estimate(page, "quick", steps=1, warmup=0, max_runs=1)
    heaviest = max(runs, key=lambda c: c.work().flops)
    (step, work), *rest = one.timed
    assert not rest and step.label == plans.describe(heaviest) and work == heaviest.work()
    rest = Work(one.work.runs - work.runs, one.work.steps - work.steps, one.work.flops - work.flops)
    by_model = one.per_step * rest.steps + one.per_flop * rest.flops
    assert one.seconds == pytest.approx(work.flops * step.seconds / step.flops + by_model)
    every = plans.estimate(page, "quick", steps=1, warmup=0, max_runs=len(runs))
    assert len(every.timed) == len(runs)  # no two of page 25's runs share a shape
    assert every.seconds == pytest.approx(sum(w.flops * t.seconds / t.flops for t, w in every.timed))


def test_a_run_is_compared_only_when_nothing_came_from_the_cache():
    run = {"sweep": {"computed": 3, "cached": 0}, "numbers": {"work_flops": 1e9}}
    run["provenance"] = {"threads": 1}

    def why(computed=3, cached=0, flops=1e9, threads=1):
        tally = {"computed": computed, "cached": cached}
        return plans.why_not_comparable({**run, "sweep": tally}, flops, threads)

    assert why() is None
    assert why(flops=2e9) == "other sizes"
    assert why(threads=2) == "1 threads, estimated at 2"
    assert why(computed=0, cached=3) == "from the cache"
    assert why(computed=1, cached=2) == "partly from the cache"
    assert why(computed=0) is None  # trained outside the sweep: nothing cached
    assert plans.why_not_comparable({"numbers": {}}, 1e9, 1) == "trained or cached: not recorded"


def test_a_run_on_shared_cores_is_not_compared():
    run = {
        "sweep": {"computed": 3, "cached": 0},
        "numbers": {"work_flops": 1e9},
        "provenance": {"threads": 1},
    }
    full = {**run, "cpu_count": 2, "load_avg": [2.0, 1.6, 1.5]}  # a CI run: two pages on two cores
    assert plans.why_not_comparable(full, 1e9, 1) is None
    shared = {**run, "cpu_count": 2, "load_avg": [3.1, 3.2, 3.1]}  # a third process beside them
    assert plans.why_not_comparable(shared, 1e9, 1) == "cores shared: load 3.1 on 2 cores at its end"
    assert plans.why_not_comparable(run, 1e9, 1) is None  # no load recorded: nothing to hold against it


def test_the_gpu_benchmark_runs_where_there_is_no_gpu(tmp_path):
    # benchmarks/bench_gpu.py is run by hand on a GPU; with --device cpu it must still run
    # through (one small page), so that a GPU session does not find a broken script
    env = {**os.environ, "ATTNLAB_BENCH_RESULTS": str(tmp_path)}
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench_gpu.py"), "--device", "cpu", "--threads", "1"]
    cmd += ["--profiles", "quick", "--pages", "26_strassen_paper", "--matmul-n", "64", "--reps", "1"]
    subprocess.run(cmd, check=True, env=env, capture_output=True, timeout=300)
    result = json.loads((tmp_path / "gpu.json").read_text())
    (row,) = result["rows"]
    assert row["page"] == "26_strassen_paper" and row["profile"] == "quick" and "error" not in row
    assert row["estimate_s"] > 0 and row["flops"] == pytest.approx(
        page_work("26_strassen_paper", "quick").flops
    )


def test_the_gpu_benchmark_names_a_bad_page(tmp_path):
    env = {**os.environ, "ATTNLAB_BENCH_RESULTS": str(tmp_path)}
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "bench_gpu.py"),
        "--device",
        "cpu",
        "--pages",
        "99_nothing",
    ]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "--pages" in run.stderr
