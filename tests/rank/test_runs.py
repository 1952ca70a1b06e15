"""A page's runs: shared models trained once, every model filed in the table."""

import pytest

from attnlab.rank.config import TrainConfig, step_flops
from attnlab.rank.rank_heads import loss_curve
from attnlab.rank.runs import runs_from_results, unique_groups
from attnlab.runtime.work import total
from tests.rank import SMALL


def test_unique_groups_train_a_shared_model_once_and_work_counts_them():
    a = TrainConfig(ranks=(8, 4), seeds=(0, 0), protocol=("fresh", "replay"), **SMALL)
    b = TrainConfig(ranks=(8, 2), seeds=(0, 0), **SMALL)  # (8, seed 0, fresh) is also in a
    c = TrainConfig(ranks=(8,), seeds=(0,), **SMALL)  # entirely in a
    runs = unique_groups([("a", a), ("b", b), ("c", c)])
    assert [r.ranks for r in runs] == [(8, 4), (2,)]
    work = total(cfg.work() for cfg in runs)
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
    table = runs_from_results(groups, runs, fake)
    assert len(table.rows) == 5
    assert table.best("heldout", tag="fig1", rank=8) == pytest.approx(0.2)
    assert table.values("heldout", tag="figN", rank=8) == pytest.approx([0.4])  # trained in fig1's run
    assert table.values("heldout", tag="figN", rank=2) == pytest.approx([1.2])
    assert loss_curve(table, tag="fig1", rank=8) == [1.0, 0.5, 0.4]
    with pytest.raises(KeyError):
        table.best("heldout", rank=16)
    with pytest.raises(ValueError, match="where"):
        table.best("heldout", heads=1)
