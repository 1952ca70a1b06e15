"""A run's configuration: checked on construction, its schedules, its key."""

import json
import math
from dataclasses import replace

import pytest

from attnlab.rank.config import (
    TrainConfig,
    epoch_lr_factor,
    flop_shares,
    lr_factor,
    step_flops,
    step_flops_parts,
)
from tests.rank import SHAPE, SMALL


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


def test_key_round_trip():
    shape = replace(SHAPE, positional="concatenated", pos_dim=3)
    small = SMALL | {"model": shape}
    cfg = TrainConfig(ranks=(11, 1), seeds=(1, 2), protocol=("fresh", "replay"), **small)
    key = cfg.to_key("cpu")
    assert key["model"]["pos_dim"] == 3  # the model's shape nested in the key
    assert key["device_type"] == "cpu" and isinstance(key["ranks"], tuple | list)
    assert TrainConfig.from_key(key) == cfg
    assert TrainConfig.from_key(json.loads(json.dumps(key))) == cfg  # as the cache stores it


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(steps=0), "steps"),
        (dict(batch=0), "batch"),
        (dict(lr=0.0), "lr"),
        (dict(precision="float16"), "precision"),
        (dict(protocol="epochs"), "protocol"),
        (dict(protocol=("fresh", "replay")), "protocol"),
        (dict(eval_batches=0), "eval_batches"),
        (dict(steps_per_epoch=0), "steps_per_epoch"),
        (dict(warmup=1.5), "warmup"),
        (dict(ranks=(9,)), "ranks"),
    ],
)
def test_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):  # on construction, before anything trains
        TrainConfig(**{"ranks": (8,), "seeds": (0,), **SMALL, **kwargs})


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(d=0), "d"),
        (dict(N=0), "N"),
        (dict(layers=0), "layers"),
        (dict(c=0), "c"),
        (dict(ff=0), "ff"),
        (dict(positional="rope"), "positional"),
        (dict(pos_dim=0), "pos_dim"),
    ],
)
def test_bad_model(kwargs, name):
    with pytest.raises(ValueError, match=name):
        replace(SHAPE, **kwargs)


def test_model_is_an_encoder_config():
    with pytest.raises(TypeError, match="model"):
        TrainConfig(**{"ranks": (8,), "seeds": (0,), **SMALL, "model": dict(d=8, N=6)})


def test_step_flops_parts():
    sizes = dict(d=64, N=16, batch=8, layers=2, c=4, ff=256, K=3)
    parts = step_flops_parts(**sizes)
    assert sum(parts.values()) == pytest.approx(step_flops(**sizes), rel=1e-12)
    # per token and layer: feed-forward 4 d ff, projections 8 d (c d), attention 4 N (c d)
    assert parts["feed_forward"] / parts["projections"] == pytest.approx(4 * 256 / (8 * 4 * 64))
    assert parts["attention"] / parts["projections"] == pytest.approx(4 * 16 / (8 * 64))
    with pytest.raises(ValueError, match="ff"):
        step_flops_parts(**{**sizes, "ff": 0})
    shares = flop_shares(**{k: v for k, v in sizes.items() if k != "K"})
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["feed_forward"] == pytest.approx(parts["feed_forward"] / sum(parts.values()))


def test_per_model_rates():
    small = {k: v for k, v in SMALL.items() if k != "lr"}
    cfg = TrainConfig(ranks=(8, 4, 2), seeds=(0, 1, 2), lr=(0.01, 0.02, 0.005), **small)
    assert cfg.lrs() == (0.01, 0.02, 0.005) and cfg.peak_lr == 0.02 and not cfg.shared_schedule()
    step = 10
    assert cfg.lr_factors(step) == pytest.approx([lr_factor(step, 24, 1 / 20) * f for f in (0.5, 1.0, 0.25)])
    assert cfg.subset([2, 0]).lrs() == (0.005, 0.01)
    assert TrainConfig.from_key(cfg.to_key()) == cfg
    assert TrainConfig(ranks=(8, 4), seeds=(0, 1), **SMALL).shared_schedule()
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(ranks=(8, 4), seeds=(0, 1), lr=(0.01,), **small)
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(ranks=(8, 4), seeds=(0, 1), lr=(0.01, -1.0), **small)
