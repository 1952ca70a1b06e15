import pytest

from attnlab.rank import depth


def test_sweep_orders_groups_and_removes_repeats():
    assert depth.sweep((3, 1, 1), (16, 4)) == [(1, 4), (1, 16), (3, 4), (3, 16)]


@pytest.mark.parametrize("layers, Ns", [((), (4,)), ((1,), ()), ((0,), (4,)), ((1,), (1,))])
def test_sweep_rejects_empty_or_invalid(layers, Ns):
    with pytest.raises(ValueError):
        depth.sweep(layers, Ns)


def test_group_models_every_rank_with_every_seed():
    ranks, seeds = depth.group_models((16, 4, 1), (0, 1))
    assert ranks == (16, 16, 4, 4, 1, 1)
    assert seeds == (0, 1, 0, 1, 0, 1)
    assert len(set(zip(ranks, seeds, strict=True))) == 6


@pytest.mark.parametrize("ranks, seeds", [((), (0,)), ((4,), ()), ((4, 4), (0,)), ((4,), (1, 1))])
def test_group_models_rejects_empty_or_repeated(ranks, seeds):
    with pytest.raises(ValueError):
        depth.group_models(ranks, seeds)


def test_batch_for_keeps_points_per_step():
    assert [depth.batch_for(N, 1024) for N in (4, 8, 16, 32, 64)] == [256, 128, 64, 32, 16]
    assert depth.batch_for(2048, 1024) == 1  # never zero sequences
    with pytest.raises(ValueError):
        depth.batch_for(1, 1024)


ERRORS = {
    (1, 4, 16): [0.2, 0.1],
    (1, 4, 4): [0.5, 0.6],
    (1, 4, 1): [0.8, 0.7],
    (2, 4, 16): [0.05, 0.3],
    (2, 4, 4): [0.2, 0.4],
    (2, 4, 1): [0.3, 0.5],
}


def test_summarize_min_and_median():
    best = depth.summarize(ERRORS)
    assert best[1, 4, 16] == pytest.approx(0.1)
    assert best[2, 4, 1] == pytest.approx(0.3)
    med = depth.summarize(ERRORS, reduce="median")
    assert med[1, 4, 16] == pytest.approx(0.15)
    assert med[2, 4, 16] == pytest.approx(0.175)
    with pytest.raises(ValueError, match="reduce"):
        depth.summarize(ERRORS, reduce="mean")
    with pytest.raises(ValueError, match="no replicate"):
        depth.summarize({(1, 4, 16): []})


def test_error_ratio_against_full_rank_of_same_depth():
    ratio = depth.error_ratio(depth.summarize(ERRORS), full_rank=16)
    assert set(ratio) == {(1, 4, 4), (1, 4, 1), (2, 4, 4), (2, 4, 1)}
    assert ratio[1, 4, 4] == pytest.approx(0.5 / 0.1)
    assert ratio[2, 4, 1] == pytest.approx(0.3 / 0.05)


def test_error_ratio_needs_full_rank_and_positive_errors():
    with pytest.raises(KeyError, match="L = 3"):
        depth.error_ratio({(3, 8, 4): 0.5}, full_rank=16)
    with pytest.raises(ValueError, match="positive"):
        depth.error_ratio({(1, 8, 16): 0.0, (1, 8, 4): 0.5}, full_rank=16)


def test_gap_closed_is_zero_at_baseline_and_one_at_full_rank():
    errors = {(1, 4, 16): 0.2, (1, 4, 4): 0.8, (1, 4, 1): 0.2, (1, 4, 2): 0.5}
    closed = depth.gap_closed(errors, full_rank=16, baseline={4: 0.8})
    assert closed[1, 4, 4] == pytest.approx(0.0)
    assert closed[1, 4, 1] == pytest.approx(1.0)
    assert closed[1, 4, 2] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="baseline"):
        depth.gap_closed({(1, 4, 16): 0.9, (1, 4, 4): 0.95}, full_rank=16, baseline={4: 0.8})


def test_series_by_increasing_N():
    values = {(1, 16, 4): 3.0, (1, 4, 4): 1.0, (2, 4, 4): 9.0, (1, 8, 4): 2.0, (1, 4, 1): 7.0}
    assert depth.series(values, 1, 4) == ([4, 8, 16], [1.0, 2.0, 3.0])


@pytest.mark.parametrize("profile", ("quick", "laptop", "paper"))
def test_groups_and_planned_work_of_every_profile(profile, monkeypatch):
    from attnlab.book.profiles import sizes
    from attnlab.rank import train

    monkeypatch.setattr(train, "train", None)  # planning trains nothing
    cfg = sizes("15_depth_long_context", profile)
    groups = depth.groups(cfg, seed=0)
    assert len(groups) == len(cfg.layers) * len(cfg.Ns)
    K = len(cfg.ranks) * cfg.replicates
    assert all(
        g.K == K and g.batch * g.model.N <= cfg.points and g.lr == cfg.lr[g.model.layers] for _, g in groups
    )
    work = depth.planned_work(cfg)
    assert work.runs == K * len(groups)  # every model of every (L, N), none shared
    assert work.steps == cfg.steps * len(groups)
    assert work.flops == pytest.approx(sum(g.steps * g.step_flops() for _, g in groups))


def test_heldout_errors_by_depth_context_and_rank():
    from types import SimpleNamespace

    from attnlab.rank.runs import RESULT_FIELDS, runs_from_results

    sizes = SimpleNamespace(
        d=16, ff=8, ranks=(16, 4, 1), layers=(1, 2), Ns=(4, 8), points=64, steps=10, steps_per_epoch=5,
        lr={1: 0.01, 2: 0.003}, replicates=2, eval_batches=1,
    )  # fmt: skip
    groups = depth.groups(sizes, seed=2)
    runs = [g for _, g in groups]
    fake = [{f: [float(k) for k in range(g.K)] for f in RESULT_FIELDS} | {"ms_per_step": 1.0} for g in runs]
    errors = depth.heldout_errors(runs_from_results(groups, runs, fake))
    assert errors[1, 4, 16] == [0.0, 1.0] and errors[2, 8, 1] == [4.0, 5.0]
    assert len(errors) == 2 * 2 * 3
