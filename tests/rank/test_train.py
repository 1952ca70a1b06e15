"""Training: batched equals separate, the protocols, the metric, sweeps resumed, step FLOPs."""

import math

import pytest
import torch

from attnlab.rank import train as train_mod
from attnlab.rank.config import TrainConfig, step_flops
from attnlab.rank.memory import step_memory
from attnlab.rank.train import (
    HELDOUT_DATA,
    TRAIN_DATA,
    angle_to_identity,
    counted_flops,
    step_timer,
    train,
    train_sweep,
)
from attnlab.runtime.seeds import data_generators, derive_seed
from tests.rank import SMALL


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
    train_points = torch.cat([x.reshape(2, -1, SMALL["model"].d) for x in train_x], dim=1)
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


def test_data_streams_come_from_derive_seed():
    gens = data_generators((3,), TRAIN_DATA, "cpu") + data_generators((3,), HELDOUT_DATA, "cpu")
    assert gens[0].initial_seed() == derive_seed(3, "train data")
    assert gens[1].initial_seed() == derive_seed(3, "held-out data")


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
    shape = dict(d=16, N=8, layers=1, c=2, ff=32)
    for heads in (1, 4):
        counted = counted_flops(**shape, batch=4, heads=heads)
        assert counted == pytest.approx(step_flops(**shape, batch=4), rel=1e-9)
    with pytest.raises(ValueError, match="heads"):
        counted_flops(**shape, batch=4, heads=3)


def test_step_timer_steps_every_model_in_the_runs_passes(monkeypatch):
    cfg = TrainConfig(ranks=(8, 2, 4, 8), seeds=(0, 1, 2, 3), **SMALL)
    monkeypatch.setenv("ATTNLAB_MEMORY_GB", repr(2.5 * step_memory(cfg) / 2**30))  # two models a pass
    stepped, real_step = [], train_mod.training_step
    counting = lambda m, *a, **k: stepped.append(m.K) or real_step(m, *a, **k)  # noqa: E731
    monkeypatch.setattr(train_mod, "training_step", counting)
    step_timer(cfg)()
    assert stepped == [2, 2]


def test_per_model_rates_batched_equal_separate():
    ranks, seeds, lrs = (8, 8, 4), (0, 1, 2), (0.01, 0.003, 0.02)
    small = {k: v for k, v in SMALL.items() if k != "lr"}
    cfg = TrainConfig(ranks=ranks, seeds=seeds, lr=lrs, eval_batches=2, **small)
    together, _ = train(cfg, progress=False)
    for k, one in enumerate(cfg.models()):
        assert one.lr == lrs[k]
        alone, _ = train(one, progress=False)
        torch.testing.assert_close(
            torch.tensor(alone["heldout"][0]), torch.tensor(together["heldout"][k]), rtol=1e-4, atol=1e-5
        )


def test_a_runs_cost_for_a_cluster_is_its_training_work():
    from attnlab.rank.config import TrainConfig
    from attnlab.rank.encoder import EncoderConfig
    from attnlab.rank.train import _flops

    small = TrainConfig(model=EncoderConfig(d=4, N=4), ranks=(4,), seeds=(0,), batch=8, steps=10)
    longer = TrainConfig(model=EncoderConfig(d=4, N=4), ranks=(4,), seeds=(0,), batch=8, steps=40)
    assert _flops(small.to_key("cpu")) == small.work().flops
    assert _flops(longer.to_key("cpu")) == 4 * _flops(small.to_key("cpu"))
