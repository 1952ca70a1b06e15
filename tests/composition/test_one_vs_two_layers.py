"""Page 24's runs: one and two layers, the frontier, their planned work."""

import pytest

from attnlab.book.profiles import PROFILES, sizes
from attnlab.composition import one_vs_two_layers as ot
from attnlab.runtime.runs import Runs
from attnlab.runtime.work import Work

PAGE = "24_training_composition"


@pytest.mark.parametrize("profile", PROFILES)
def test_planned_work(profile):
    s = sizes(PAGE, profile)
    work = ot.planned_work(s)
    assert isinstance(work, Work)
    assert work.runs == 2 * len(s.ns) * s.seeds + len(s.frontier_ns) * len(s.widths) * s.frontier_seeds
    assert work.steps == 2 * len(s.ns) * s.steps + len(s.frontier_ns) * s.frontier_steps
    assert work.flops == pytest.approx(sum(c.work().flops for _, c in ot.page_configs(s)))


def test_page_configs_seeds_differ_by_page_seed():
    s = sizes(PAGE, "quick")
    a, b = ot.page_configs(s, 0), ot.page_configs(s, 1)
    assert [tag for tag, _ in a] == ["depth"] * 2 * len(s.ns) + ["frontier"] * len(s.frontier_ns)
    # depth on Comp_n (n logits); the frontier is the theorem's own model: Ind_n, one output
    assert {c.task for tag, c in a if tag == "depth"} == {"comp"}
    assert {(c.task, c.model.layers) for tag, c in a if tag == "frontier"} == {("ind", 1)}
    assert set(a[0][1].seeds).isdisjoint(b[0][1].seeds)
    assert set(a[0][1].seeds).isdisjoint(a[-1][1].seeds)
    assert len(set(a[0][1].seeds)) == s.seeds
    timed = ot.timed_config(s, 0)
    assert timed.model.layers == 2 and timed.n == max(s.ns)


def test_frontier_takes_the_smallest_width_whose_best_seed_reaches_the_threshold():
    rows = [
        dict(tag="frontier", n=3, width=w, seed=s, final=acc, mlp_params=10 * w)
        for w, accs in ((1, (0.5, 0.6)), (2, (0.7, 0.96)), (4, (0.99, 0.2)))
        for s, acc in enumerate(accs)
    ]
    out = ot.frontier(Runs(rows), 3, 0.95)
    assert out["width"] == 2 and out["P"] == 20
    assert out["by_width"] == {1: [10, 0.6], 2: [20, 0.96], 4: [40, 0.99]}
    assert ot.frontier(Runs(rows), 3, 0.999)["width"] is None
