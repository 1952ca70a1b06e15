"""Training: batched equals separate, the schedule, the metric, the results cache."""

import math
from dataclasses import replace

import pytest
import torch

from attnlab.book.profiles import PROFILES, sizes
from attnlab.rank import training as train_mod
from attnlab.rank.training import (
    Runs,
    TrainConfig,
    angle_to_identity,
    epoch_lr_factor,
    late_drop,
    lr_factor,
    planned_work,
    rank_heads_groups,
    step_flops,
    train,
    train_sweep,
    unique_groups,
    work_of,
)
from attnlab.runtime.seeds import derive_seed

SMALL = dict(d=8, N=6, ff=32, batch=16, steps=24, steps_per_epoch=6, lr=0.01)


def test_batched_training_equals_separate_training():
    ranks, seeds = (8, 2, 4, 8), (0, 1, 2, 3)
    together, _ = train(TrainConfig(ranks=ranks, seeds=seeds, **SMALL), progress=False)
    for k, (r, s) in enumerate(zip(ranks, seeds, strict=True)):
        alone, _ = train(TrainConfig(ranks=(r,), seeds=(s,), **SMALL), progress=False)
        torch.testing.assert_close(
            torch.tensor(alone["epoch_loss"][0]),
            torch.tensor(together["epoch_loss"][k]),
            rtol=1e-4,
            atol=1e-5,
        )


def test_bfloat16_is_opt_in_and_trains():
    base = TrainConfig(ranks=(8,), seeds=(0,), **SMALL)
    assert base.precision == "float32" and not base.compile
    f32, _ = train(base, progress=False)
    bf16, _ = train(TrainConfig(ranks=(8,), seeds=(0,), precision="bfloat16", **SMALL), progress=False)
    assert bf16["epoch_loss"] != f32["epoch_loss"]  # autocast really ran in bfloat16
    assert abs(bf16["metric"][0] - f32["metric"][0]) < 0.1  # and learned about as well


def test_chunked_feed_forward_equals_plain_autograd(monkeypatch):
    from attnlab.rank.encoder import BatchedEncoder, ChunkedFeedForward

    monkeypatch.setattr(ChunkedFeedForward, "WORKSPACE", 2 * 40 * 64)  # 64-token chunks
    model = BatchedEncoder(8, 6, (8, 4), (0, 1), layers=2, c=2, ff=40).double()
    x = torch.randn(2, 50, 6, 8, dtype=torch.float64)
    grads = []
    for chunked in (True, False):
        model.chunked_ff = chunked
        model.zero_grad()
        (model(x) ** 3).sum().backward()
        grads.append([p.grad.clone() for p in model.parameters()])
    assert ChunkedFeedForward.chunk(2, 300, 40) == 64  # several chunks, the last one partial
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b)


def test_metric_is_min_over_epochs_and_loss_starts_near_or_above_one():
    out, _ = train(TrainConfig(ranks=(8,), seeds=(0,), **SMALL), progress=False)
    table = out["epoch_loss"][0]
    assert len(table) == SMALL["steps"] // SMALL["steps_per_epoch"]
    assert out["metric"][0] == min(table) and out["final"][0] == table[-1]
    assert table[0] > 0.5  # squared error per point: the zero predictor scores 1


def test_schedule():
    steps = 200
    f = [lr_factor(t, steps, 1 / 20) for t in range(steps)]
    assert f[0] == pytest.approx(1 / 10) and f[9] == pytest.approx(1.0)
    assert all(a <= b for a, b in zip(f[:10], f[1:10], strict=False))
    assert all(a >= b for a, b in zip(f[10:], f[11:], strict=False)) and f[-1] < 1e-3


def test_authors_epoch_schedule():
    # 1000 epochs (their fig1): warm-up over 50 epochs from 0, then a cosine to 0
    f = [epoch_lr_factor(e, 1000) for e in range(1000)]
    assert f[0] == 0.0 and f[1] == pytest.approx(1 / 49) and f[49] == pytest.approx(1.0)
    assert f[50] == pytest.approx(1.0) and f[525] == pytest.approx(0.5) and 0 < f[-1] < 1e-4
    assert all(a <= b for a, b in zip(f[:50], f[1:50], strict=False))
    assert all(a >= b for a, b in zip(f[50:], f[51:], strict=False))
    # 15 epochs (quick): their epochs // 20 = 0 would never leave rate 0; one epoch at 0, then cosine
    g = [epoch_lr_factor(e, 15) for e in range(15)]
    assert g[0] == 0.0 and g[1] == 1.0 and g[8] == pytest.approx(0.5 * (1 + math.cos(math.pi * 7 / 14)))
    cfg = TrainConfig(ranks=(8, 8), seeds=(0, 1), protocol=("fresh", "replay"), **SMALL)
    assert cfg.epochs() == 4
    for step in (0, 5, 6, 13, 23):  # per step: fresh follows lr_factor, replay its epoch's value
        assert cfg.lr_factors(step) == [lr_factor(step, 24, 1 / 20), epoch_lr_factor(step // 6, 4)]


def record_batches(monkeypatch):
    """Capture every training/evaluation batch ``x (K, B, N, d)`` that train() draws."""
    seen = []
    real = train_mod.sample

    def recording(gens, batch, N, d):
        x, target = real(gens, batch, N, d)
        seen.append(x.clone())
        return x, target

    monkeypatch.setattr(train_mod, "sample", recording)
    return seen


def test_replay_protocol_replays_each_epoch_and_holds_out_fresh_data(monkeypatch):
    seen = record_batches(monkeypatch)
    cfg = TrainConfig(ranks=(8, 8), seeds=(3, 4), protocol=("replay", "fresh"), eval_batches=2, **SMALL)
    out, _ = train(cfg, progress=False)
    spe, steps = SMALL["steps_per_epoch"], SMALL["steps"]
    train_x, held, replayed = seen[:steps], seen[steps : steps + 2], seen[steps + 2 :]
    assert len(replayed) == spe  # the final pass over the whole replayed set
    for t in range(spe, steps):  # the replay model sees epoch 0's batches again, in order
        torch.testing.assert_close(train_x[t][0], train_x[t % spe][0], rtol=0, atol=0)
        assert not torch.equal(train_x[t][1], train_x[t % spe][1])  # the fresh model never does
    for t in range(spe):
        torch.testing.assert_close(replayed[t][0], train_x[t][0], rtol=0, atol=0)
    train_points = torch.cat([x.reshape(2, -1, SMALL["d"]) for x in train_x], dim=1)
    for x in held:  # held-out data: no training point of either model
        assert not any(torch.isin(x[k].reshape(-1), train_points[k].reshape(-1)).any() for k in range(2))
    assert out["protocol"] == ["replay", "fresh"] and out["replayed_final"][1] is None
    assert all(0 < v < 4 for v in out["heldout"]) and 0 < out["replayed_final"][0] < 4


def test_replay_models_start_alike_and_do_not_move_in_the_first_epoch():
    cfg = TrainConfig(ranks=(8, 8, 4), seeds=(0, 1, 2), protocol="replay", init_seed=7, **SMALL)
    assert cfg.init_seeds() == (7, 7, 7)
    start = cfg.build()
    torch.testing.assert_close(start.Wqkv[:, 0], start.Wqkv[:, 1])  # same rank, same weights
    one_epoch = TrainConfig(**{**cfg.__dict__, "steps": SMALL["steps_per_epoch"]})
    _, model = train(one_epoch, progress=False)  # epoch 0 runs at rate 0
    for (name, p), q in zip(model.named_parameters(), start.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0, msg=name)


def test_mixed_protocols_batched_equal_separate():
    ranks, seeds, protocols = (8, 8, 4, 4), (0, 1, 2, 3), ("fresh", "replay", "replay", "fresh")
    cfg = TrainConfig(ranks=ranks, seeds=seeds, protocol=protocols, eval_batches=2, **SMALL)
    together, _ = train(cfg, progress=False)
    for k in range(4):
        one = dict(ranks=(ranks[k],), seeds=(seeds[k],), protocol=protocols[k], eval_batches=2)
        alone, _ = train(TrainConfig(**one, **SMALL), progress=False)
        for key in ("epoch_loss", "heldout"):
            torch.testing.assert_close(
                torch.tensor(alone[key][0]), torch.tensor(together[key][k]), rtol=1e-4, atol=1e-5
            )


def test_angle_to_identity():
    assert angle_to_identity(-3 * torch.eye(5)) == (pytest.approx(180.0), pytest.approx(-3.0))
    assert angle_to_identity(torch.eye(5))[0] == pytest.approx(0.0, abs=1e-3)
    a = torch.zeros(4, 4)
    a[0, 1] = 1.0
    assert angle_to_identity(a)[0] == pytest.approx(90.0)


def test_cache_resumes_an_interrupted_sweep(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_CACHE", str(tmp_path))
    monkeypatch.delenv("ATTNLAB_RAY_ADDRESS", raising=False)
    calls = []
    real = train_mod.train

    def counting(cfg, *args, **kwargs):
        calls.append(cfg.seeds)
        if cfg.seeds == (99,) and len(calls) == 2:
            raise KeyboardInterrupt  # the sweep is interrupted on its second configuration
        return real(cfg, *args, **kwargs)

    monkeypatch.setattr(train_mod, "train", counting)
    sweep = [TrainConfig(ranks=(8,), seeds=(s,), **SMALL) for s in (5, 99)]
    with pytest.raises(KeyboardInterrupt):
        train_sweep(sweep)
    results = train_sweep(sweep)  # resume
    assert calls == [(5,), (99,), (99,)]  # the finished configuration was not retrained
    again = train_sweep(sweep)
    assert again == results and len(calls) == 3
    assert math.isclose(results[0]["qk_angle"][0], again[0]["qk_angle"][0])


def test_key_round_trip():
    cfg = TrainConfig(ranks=(8, 4), seeds=(1, 2), protocol=("fresh", "replay"), pos_dim=3, **SMALL)
    key = cfg.to_key("cpu")
    assert key["device_type"] == "cpu" and isinstance(key["ranks"], tuple | list)
    assert TrainConfig.from_key(key) == cfg
    import json

    assert TrainConfig.from_key(json.loads(json.dumps(key))) == cfg  # as the cache stores it


def test_data_streams_come_from_derive_seed():
    gens = train_mod.data_generators((3,), "cpu") + train_mod.heldout_generators((3,), "cpu")
    assert gens[0].initial_seed() == derive_seed(3, "train data")
    assert gens[1].initial_seed() == derive_seed(3, "held-out data")


def test_unique_groups_train_a_shared_model_once_and_work_counts_them():
    a = TrainConfig(ranks=(8, 4), seeds=(0, 0), protocol=("fresh", "replay"), **SMALL)
    b = TrainConfig(ranks=(8, 2), seeds=(0, 0), **SMALL)  # (8, seed 0, fresh) is also in a
    c = TrainConfig(ranks=(8,), seeds=(0,), **SMALL)  # entirely in a
    runs = unique_groups([("a", a), ("b", b), ("c", c)])
    assert [r.ranks for r in runs] == [(8, 4), (2,)]
    work = work_of(runs)
    assert work.runs == 3 and work.steps == 2 * SMALL["steps"]
    flops = step_flops(d=8, N=6, batch=16, layers=1, c=1, ff=32)
    assert work.flops == pytest.approx(3 * SMALL["steps"] * flops)


def test_runs_table_files_every_model_and_finds_the_best():
    a = TrainConfig(ranks=(8, 8, 4), seeds=(0, 1, 0), **SMALL)
    b = TrainConfig(ranks=(8, 2), seeds=(1, 1), **SMALL)
    groups = [("fig1", a), ("figN", b)]
    runs = unique_groups(groups)
    fake = [
        {
            "metric": [0.1 * (k + 1) + i for k in range(cfg.K)],
            "heldout": [0.2 * (k + 1) + i for k in range(cfg.K)],
            "final": [0.0] * cfg.K,
            "replayed_final": [None] * cfg.K,
            "epoch_loss": [[1.0, 0.5 + k, 0.4] for k in range(cfg.K)],
            "qk_angle": [None] * cfg.K,
            "qk_scale": [None] * cfg.K,
            "ms_per_step": 1.0 + i,
        }
        for i, cfg in enumerate(runs)
    ]
    table = Runs.from_results(groups, runs, fake)
    assert len(table.rows) == 5
    assert table.best("heldout", tag="fig1", rank=8) == pytest.approx(0.2)
    assert table.values("heldout", tag="figN", rank=8) == pytest.approx([0.4])  # trained in fig1's run
    assert table.values("heldout", tag="figN", rank=2) == pytest.approx([1.2])
    assert table.curve(tag="fig1", rank=8) == [1.0, 0.5, 0.4]
    with pytest.raises(KeyError):
        table.best("heldout", rank=16)
    with pytest.raises(ValueError, match="where"):
        table.best("heldout", heads=1)


def test_late_drop():
    assert late_drop([1.0, 0.5, 0.4, 0.25]) == pytest.approx(0.5)
    assert math.isnan(late_drop([1.0]))  # a smoke run's one epoch


@pytest.mark.parametrize("profile", PROFILES)
def test_planned_work_counts_the_page_runs_without_training(profile, monkeypatch):
    monkeypatch.setattr(train_mod, "train", None)  # nothing may train
    cfg = sizes("12_training_rank_heads", profile)
    runs = unique_groups(rank_heads_groups(cfg, seed=0))
    work = planned_work(cfg)
    assert work.runs == sum(r.K for r in runs) and work.steps == sum(r.steps for r in runs)
    assert work.flops == pytest.approx(sum(r.steps * r.step_flops() for r in runs))
    n_models = len({(tag, one) for tag, g in rank_heads_groups(cfg, 0) for one in g.models()})
    assert work.runs < n_models or profile == "paper"  # fig1's models are reused for figN
    if profile == "quick":
        assert work.runs == 6 + 2 + 2 + 2 + 2  # fig1 (both protocols, c=1 and c=4), figN N=4, 64, fig3


def test_page_seeds_are_derived():
    cfg = sizes("12_training_rank_heads", "quick")
    groups = rank_heads_groups(cfg, seed=1)
    seeds = {s for _, g in groups for s in g.seeds}
    assert seeds == {derive_seed(1, "replicate", j) for j in range(cfg.seeds)}
    assert {g.init_seed for _, g in groups} == {derive_seed(1, "replay init")}


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(steps=0), "steps"),
        (dict(batch=0), "batch"),
        (dict(lr=0.0), "lr"),
        (dict(positional="rope"), "positional"),
        (dict(precision="float16"), "precision"),
        (dict(protocol="epochs"), "protocol"),
        (dict(protocol=("fresh", "replay")), "protocol"),
        (dict(eval_batches=0), "eval_batches"),
        (dict(steps_per_epoch=0), "steps_per_epoch"),
        (dict(warmup=1.5), "warmup"),
        (dict(ranks=(9,)), "ranks"),
        (dict(pos_dim=0), "pos_dim"),
    ],
)
def test_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):  # on construction, before anything trains
        TrainConfig(**{"ranks": (8,), "seeds": (0,), **SMALL, **kwargs})


def test_device_is_automatic_and_overridable(monkeypatch):
    from attnlab.runtime.device import default_device

    auto = "cuda" if torch.cuda.is_available() else "cpu"
    monkeypatch.delenv("ATTNLAB_DEVICE", raising=False)
    assert default_device().type == auto
    monkeypatch.setenv("ATTNLAB_DEVICE", "cpu")
    assert default_device().type == "cpu" and default_device("auto").type == "cpu"
    monkeypatch.setenv("ATTNLAB_DEVICE", "gpu")
    with pytest.raises(ValueError, match="ATTNLAB_DEVICE"):
        default_device()


def test_counted_flops_agree_with_the_formula():
    from attnlab.rank.training import counted_flops

    shape = dict(d=16, N=8, layers=1, c=2, ff=32)
    for heads in (1, 4):
        counted = counted_flops(**shape, batch=4, heads=heads)
        assert counted == pytest.approx(step_flops(**shape, batch=4), rel=1e-9)
    with pytest.raises(ValueError, match="heads"):
        counted_flops(**shape, batch=4, heads=3)


def test_memory_budget_reads_the_environment(monkeypatch):
    from attnlab.runtime.device import memory_budget

    monkeypatch.delenv("ATTNLAB_MEMORY_GB", raising=False)
    assert memory_budget("cpu") > 0
    monkeypatch.setenv("ATTNLAB_MEMORY_GB", "1.5")
    assert memory_budget("cpu") == int(1.5 * 2**30)
    for bad in ("0", "-2", "lots"):
        monkeypatch.setenv("ATTNLAB_MEMORY_GB", bad)
        with pytest.raises(ValueError, match="ATTNLAB_MEMORY_GB"):
            memory_budget("cpu")


def test_models_per_pass_fits_the_budget_and_names_batch_when_one_model_does_not():
    from attnlab.rank.training import models_per_pass, step_memory

    cfg = TrainConfig(ranks=(8, 2, 4, 8), seeds=(0, 1, 2, 3), **SMALL)
    need = step_memory(cfg)
    assert need > 0
    assert step_memory(replace(cfg, batch=2 * cfg.batch)) > need  # activations grow with the batch
    assert models_per_pass(cfg, memory=10**12) == 4
    assert models_per_pass(cfg, memory=int(2.5 * need)) == 2
    assert models_per_pass(cfg, memory=need) == 1
    with pytest.raises(ValueError, match="batch"):
        models_per_pass(cfg, memory=need - 1)


def test_training_in_passes_equals_one_pass():
    from attnlab.rank.training import step_memory

    ranks, seeds, protocols = (8, 8, 4, 2), (0, 1, 2, 3), ("fresh", "replay", "replay", "fresh")
    cfg = TrainConfig(ranks=ranks, seeds=seeds, protocol=protocols, eval_batches=2, **SMALL)
    whole, model = train(cfg, progress=False)
    split, merged = train(cfg, progress=False, memory=2 * step_memory(cfg))  # two models a pass
    assert (whole["passes"], split["passes"]) == (1, 2)
    for key in ("epoch_loss", "heldout", "metric"):
        torch.testing.assert_close(torch.tensor(split[key]), torch.tensor(whole[key]), rtol=1e-4, atol=1e-5)
    assert split["replayed_final"][0] is None and split["protocol"] == list(protocols)
    for (name, p), q in zip(model.named_parameters(), merged.parameters(), strict=True):
        torch.testing.assert_close(q, p, rtol=1e-4, atol=1e-5, msg=name)


PEAK_SCRIPT = """
import sys, torch
from attnlab.rank import training as tr

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

torch.set_num_threads(1)
N, L, c, K, B, ff = map(int, sys.argv[1:7])
cfg = tr.TrainConfig(d=32, N=N, ranks=tuple([1, 32, 4, 8][k % 4] for k in range(K)),
                     seeds=tuple(range(K)), layers=L, c=c, ff=ff, batch=B, steps=2)
plan = cfg.K * tr.step_memory(cfg)
warm = tr.TrainConfig(d=32, N=4, ranks=(1,), seeds=(0,), ff=8, batch=1)  # load the kernels first
model = warm.build()
tr.training_step(model, tr.make_optimizer(model, 0.01), tr.data_generators((0,), torch.device("cpu")), 1)
base = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")  # restart the peak (VmHWM) from here
model = cfg.build()
opt, gens = tr.make_optimizer(model, cfg.lr), tr.data_generators(cfg.seeds, torch.device("cpu"))
for _ in range(2):
    tr.training_step(model, opt, gens, B)
print(plan, status("VmHWM") - base)
"""


@pytest.mark.parametrize("shape", ["64 2 16 2 64 256", "16 3 4 8 64 256"])
def test_step_memory_plans_for_a_real_steps_peak(shape, tmp_path):
    """The plan against the resident peak of two real steps of the K models (Linux's VmHWM, in a
    fresh process that gives freed memory back): never below it, and not wastefully above."""
    import os
    import subprocess
    import sys

    if not os.access("/proc/self/clear_refs", os.W_OK):
        pytest.skip("needs Linux's /proc/self/clear_refs to restart the peak")
    env = os.environ | {"ATTNLAB_KEEP_FREED_MEMORY": "0", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-c", PEAK_SCRIPT, *shape.split()]
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    plan, peak = map(int, out.stdout.split())
    assert peak <= plan <= 4 * peak, (plan / 2**20, peak / 2**20)


def test_step_timer_steps_every_model_in_the_runs_passes(monkeypatch):
    from attnlab.rank.training import step_memory, step_timer

    cfg = TrainConfig(ranks=(8, 2, 4, 8), seeds=(0, 1, 2, 3), **SMALL)
    monkeypatch.setenv("ATTNLAB_MEMORY_GB", repr(2.5 * step_memory(cfg) / 2**30))  # two models a pass
    stepped, real_step = [], train_mod.training_step
    counting = lambda m, *a, **k: stepped.append(m.K) or real_step(m, *a, **k)  # noqa: E731
    monkeypatch.setattr(train_mod, "training_step", counting)
    step_timer(cfg)()
    assert stepped == [2, 2]
