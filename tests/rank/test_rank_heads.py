"""Page 12's groups: planned without training, seeds derived, the late drop of a curve."""

import math

import pytest

from attnlab.book.profiles import PROFILES, sizes
from attnlab.rank import rank_heads
from attnlab.rank import train as train_mod
from attnlab.rank.rank_heads import late_drop, planned_work
from attnlab.rank.runs import unique_groups
from attnlab.runtime.seeds import derive_seed


def test_late_drop():
    assert late_drop([1.0, 0.5, 0.4, 0.25]) == pytest.approx(0.5)
    assert math.isnan(late_drop([1.0]))  # a smoke run's one epoch


@pytest.mark.parametrize("profile", PROFILES)
def test_planned_work_counts_the_page_runs_without_training(profile, monkeypatch):
    monkeypatch.setattr(train_mod, "train", None)  # nothing may train
    cfg = sizes("12_training_rank_heads", profile)
    runs = unique_groups(rank_heads.groups(cfg, seed=0))
    work = planned_work(cfg)
    assert work.runs == sum(r.K for r in runs) and work.steps == sum(r.steps for r in runs)
    assert work.flops == pytest.approx(sum(r.steps * r.step_flops() for r in runs))
    n_models = len({(tag, one) for tag, g in rank_heads.groups(cfg, 0) for one in g.models()})
    assert work.runs < n_models or profile == "paper"  # fig1's models are reused for figN
    if profile == "quick":
        # fig1 (c = 1 both protocols; the head sweep's c = 4 and 16, fresh), figN N = 4, 64, fig3
        assert work.runs == 6 + 2 + 2 + 2 + 2 + 2


def test_page_seeds_are_derived():
    cfg = sizes("12_training_rank_heads", "quick")
    groups = rank_heads.groups(cfg, seed=1)
    seeds = {s for _, g in groups for s in g.seeds}
    assert seeds == {derive_seed(1, "replicate", j) for j in range(cfg.seeds)}
    assert {g.init_seed for _, g in groups} == {derive_seed(1, "replay init")}


def _row(c, rank, heldout, protocol="fresh", layers=1, seed=0):
    return dict(tag="fig1", protocol=protocol, layers=layers, c=c, rank=rank, seed=seed, heldout=heldout)


def test_head_sweep_keeps_low_ranks_at_several_head_counts():
    from attnlab.runtime.runs import Runs

    runs = Runs(
        [
            _row(1, 16, 0.1),
            _row(1, 4, 0.7),
            _row(1, 4, 0.6, seed=1),  # best over seeds
            _row(4, 4, 0.5),
            _row(1, 1, 0.8),  # one c only: not a sweep
            _row(4, 4, 0.1, protocol="replay"),  # replay: not read
            _row(4, 4, 0.05, layers=3),  # deeper: not read
        ]
    )
    assert rank_heads.head_sweep(runs, d=16) == {4: {1: 0.6, 4: 0.5}}


def test_gap_closed():
    assert rank_heads.gap_closed({1: 0.7, 16: 0.4}, full=0.1) == pytest.approx(0.5)
    assert rank_heads.gap_closed({1: 0.7, 16: 0.8}, full=0.1) < 0  # more heads, worse
