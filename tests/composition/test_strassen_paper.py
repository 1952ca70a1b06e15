"""Page 26's runs: the grid of models, the protocol's bookkeeping, batched seeds."""

import pytest
import torch

from attnlab.book.profiles import PROFILES, sizes
from attnlab.composition import paper_tasks as pt
from attnlab.composition import strassen_paper as sp

PAGE = "26_strassen_paper"
TINY = pt.PaperTaskSizes(2, 3, density=0.4)


def test_models_per_task():
    assert sp.models_for("brc") == list(sp.MODELS) and sp.models_for("qbrc") == list(sp.MODELS)
    assert sp.models_for("fcomp") == sp.models_for("match3") == ["standard", "third-order", "Strassen"]


@pytest.mark.parametrize("profile", PROFILES)
def test_page_configs_and_work(profile):
    cfg = sizes(PAGE, profile)
    runs = sp.page_configs(cfg, seed=1)
    assert len(runs) == 16 and all(c.models == cfg.seeds for _, _, c in runs)
    assert all(c.attention != "triangular" or t in pt.GRID_TASKS for t, _, c in runs)
    work = sp.planned_work(cfg)
    assert work.runs == 16 * cfg.seeds and work.flops > 0


def test_train_run_shapes_and_determinism():
    cfg = sp.PaperConfig(
        task="brc",
        attention="triangular",
        d=4,
        mlp_width=4,
        samples=40,
        epochs=2,
        batch=12,
        seeds=(3, 4),
        sizes=TINY,
        dropout=0.1,
    )
    a, b = sp.train_run(cfg), sp.train_run(cfg)
    assert len(a["accuracy"]) == 2 and len(a["accuracy"][0]) == 2 and len(a["seconds"]) == 2
    assert a["accuracy"] == b["accuracy"]
    assert all(0.0 <= x <= 1.0 for row in a["accuracy"] for x in row)
    assert cfg.steps == 2 * 3 and cfg.train_size == 36


def test_batched_models_start_as_alone():
    cfg = sp.PaperConfig(
        task="qbrc", attention="strassen", d=4, mlp_width=4, samples=20, seeds=(5, 6), sizes=TINY
    )
    both = sp.build(cfg)
    alone = sp.build(sp.PaperConfig(**{**cfg.__dict__, "seeds": (6,)}))
    for p, q in zip(both.parameters(), alone.parameters(), strict=True):
        torch.testing.assert_close(p[1], q[0])


def test_fixed_dataset_shared_and_split():
    cfg = sp.PaperConfig(task="fcomp", samples=50, sizes=pt.PaperTaskSizes(3, 4))
    train, val = sp.split(cfg)
    assert len(train[0]) == 45 and len(val[0]) == 5
    other = sp.PaperConfig(
        task="fcomp", attention="softmax", samples=50, sizes=pt.PaperTaskSizes(3, 4), seeds=(9,)
    )
    assert torch.equal(sp.split(other)[0][0], train[0])  # every model sees the same data


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"^attention 'triangular' needs a grid task"):
        sp.PaperConfig(task="match3", attention="triangular")
    with pytest.raises(ValueError, match=r"^samples must be"):
        sp.PaperConfig(samples=3)
    with pytest.raises(ValueError, match=r"^seeds must list"):
        sp.PaperConfig(seeds=())
    with pytest.raises(ValueError, match=r"^attention must be one of"):
        sp.time_step("cubic", 16)


def test_time_step_runs():
    assert sp.time_step("triangular", 9, d=4, batch=2, repeats=1) > 0
