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
        assert work.runs == 6 + 2 + 2 + 2 + 2  # fig1 (both protocols, c=1 and c=4), figN N=4, 64, fig3


def test_page_seeds_are_derived():
    cfg = sizes("12_training_rank_heads", "quick")
    groups = rank_heads.groups(cfg, seed=1)
    seeds = {s for _, g in groups for s in g.seeds}
    assert seeds == {derive_seed(1, "replicate", j) for j in range(cfg.seeds)}
    assert {g.init_seed for _, g in groups} == {derive_seed(1, "replay init")}
