"""Training: batched equals separate, the schedule, the metric, the results cache."""

import math

import pytest
import torch

from attnlab import train as train_mod
from attnlab.train import TrainConfig, angle_to_identity, lr_factor, run_cached, train

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
    from attnlab.encoder import BatchedEncoder, ChunkedFeedForward

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


def test_angle_to_identity():
    assert angle_to_identity(-3 * torch.eye(5)) == (pytest.approx(180.0), pytest.approx(-3.0))
    assert angle_to_identity(torch.eye(5))[0] == pytest.approx(0.0, abs=1e-3)
    a = torch.zeros(4, 4)
    a[0, 1] = 1.0
    assert angle_to_identity(a)[0] == pytest.approx(90.0)


def test_cache_resumes_an_interrupted_sweep(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_CACHE", str(tmp_path))
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
        for cfg in sweep:
            run_cached(cfg, progress=False)
    results = [run_cached(cfg, progress=False) for cfg in sweep]  # resume
    assert calls == [(5,), (99,), (99,)]  # the finished configuration was not retrained
    again = [run_cached(cfg, progress=False) for cfg in sweep]
    assert again == results and len(calls) == 3
    assert math.isclose(results[0]["qk_angle"][0], again[0]["qk_angle"][0])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(steps=0), "steps"),
        (dict(batch=0), "batch"),
        (dict(lr=0.0), "lr"),
        (dict(positional="rope"), "positional"),
        (dict(precision="float16"), "precision"),
    ],
)
def test_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        train(TrainConfig(ranks=(8,), seeds=(0,), **{**SMALL, **kwargs}), progress=False)


def test_device_is_automatic_and_overridable(monkeypatch):
    from attnlab.device import default_device

    auto = "cuda" if torch.cuda.is_available() else "cpu"
    monkeypatch.delenv("ATTNLAB_DEVICE", raising=False)
    assert default_device().type == auto
    monkeypatch.setenv("ATTNLAB_DEVICE", "cpu")
    assert default_device().type == "cpu" and default_device("auto").type == "cpu"
    monkeypatch.setenv("ATTNLAB_DEVICE", "gpu")
    with pytest.raises(ValueError, match="ATTNLAB_DEVICE"):
        default_device()
