from types import SimpleNamespace

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
    assert depth.batch_for(256, 256, min_batch=4) == 4 and depth.batch_for(16, 256, min_batch=4) == 16
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
    best = depth.summarize(ERRORS, reduce="min")
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
    ratio = depth.error_ratio(depth.summarize(ERRORS, reduce="min"), full_rank=16)
    assert set(ratio) == {(1, 4, 4), (1, 4, 1), (2, 4, 4), (2, 4, 1)}
    assert ratio[1, 4, 4] == pytest.approx(0.5 / 0.1)
    assert ratio[2, 4, 1] == pytest.approx(0.3 / 0.05)


def test_error_ratio_needs_full_rank_and_positive_errors():
    with pytest.raises(KeyError, match="L = 3"):
        depth.error_ratio({(3, 8, 4): 0.5}, full_rank=16)
    with pytest.raises(ValueError, match="positive"):
        depth.error_ratio({(1, 8, 16): 0.0, (1, 8, 4): 0.5}, full_rank=16)


def test_to_one_layer_against_the_same_rank_and_context():
    ratio = depth.to_one_layer(depth.summarize(ERRORS, reduce="min"))
    assert set(ratio) == {(2, 4, 16), (2, 4, 4), (2, 4, 1)}
    assert ratio[2, 4, 16] == pytest.approx(0.05 / 0.1)
    assert ratio[2, 4, 1] == pytest.approx(0.3 / 0.7)
    with pytest.raises(KeyError, match="one-layer"):
        depth.to_one_layer({(2, 8, 4): 0.5})
    with pytest.raises(ValueError, match="positive"):
        depth.to_one_layer({(1, 8, 4): 0.0, (2, 8, 4): 0.5})


def test_gain_kept_in_log_error():
    ratio = {(2, 3, 1): 0.25, (2, 16, 1): 0.5, (2, 64, 1): 1.0, (2, 256, 1): 2.0}
    assert depth.gain_kept(ratio, 2, 1, 3, 16) == pytest.approx(0.5)  # half the factor in log
    assert depth.gain_kept(ratio, 2, 1, 3, 3) == pytest.approx(1.0)
    assert depth.gain_kept(ratio, 2, 1, 3, 64) == pytest.approx(0.0)
    assert depth.gain_kept(ratio, 2, 1, 3, 256) == pytest.approx(-0.5)  # depth hurts there
    with pytest.raises(ValueError, match="no gain"):
        depth.gain_kept(ratio, 2, 1, 64, 256)


def test_chosen_lrs_lowest_error_per_depth_context_and_rank():
    errors = {
        (1, 3, 16, 0.01): 0.3, (1, 3, 16, 0.03): 0.1, (1, 3, 1, 0.01): 0.5, (1, 3, 1, 0.03): 0.5,
        (2, 3, 16, 0.01): 0.2, (2, 3, 16, 0.03): float("nan"),
        (2, 3, 1, 0.01): float("inf"), (2, 3, 1, 0.03): 0.9,
        (2, 8, 16, 0.01): 0.4, (2, 8, 16, 0.03): 0.3,
    }  # fmt: skip
    assert depth.chosen_lrs(errors) == {
        (1, 3, 16): 0.03, (1, 3, 1): 0.01, (2, 3, 16): 0.01, (2, 3, 1): 0.03, (2, 8, 16): 0.03
    }  # fmt: skip


def test_series_by_increasing_N():
    values = {(1, 16, 4): 3.0, (1, 4, 4): 1.0, (2, 4, 4): 9.0, (1, 8, 4): 2.0, (1, 4, 1): 7.0}
    assert depth.series(values, 1, 4) == ([4, 8, 16], [1.0, 2.0, 3.0])


SIZES = SimpleNamespace(
    d=8, pos_dim=8, c=2, ff=8, low_rank=1, layers=(1, 2), anchor_Ns=(3,), Ns=(3, 8), points=64, min_batch=1,
    steps=10, steps_per_epoch=5, lr_grid=(0.01, 0.003), replicates=2, eval_batches=1,
    control_Ns=(8,), control_steps=40,
)  # fmt: skip


def test_ranks_full_is_the_widened_model():
    assert depth.ranks(SIZES) == (16, 1)
    for bad in (0, 16, 3):
        with pytest.raises(ValueError, match="low_rank"):
            depth.ranks(SimpleNamespace(d=8, pos_dim=8, low_rank=bad))


def every_rate(sizes, lr):
    return {(L, N, r): lr for L, N in depth.sweep(sizes.layers, sizes.Ns) for r in depth.ranks(sizes)}


def test_lr_sweep_one_run_per_depth_and_context_every_rate_on_an_unreported_seed():
    sweep = depth.lr_sweep_groups(SIZES, seed=0)
    assert [tag for tag, _ in sweep] == ["lr sweep"] * 4
    assert [(g.model.layers, g.model.N) for _, g in sweep] == [(1, 3), (1, 8), (2, 3), (2, 8)]
    for _, g in sweep:
        assert g.model.positional == "concatenated" and g.model.width == 16
        assert g.ranks == (16, 16, 1, 1) and g.lrs() == (0.01, 0.003, 0.01, 0.003)
        assert g.batch == 64 // g.model.N  # the reported runs' data shape
    assert len({s for _, g in sweep for s in g.seeds}) == 1
    reported = {s for _, g in depth.groups(SIZES, 0, every_rate(SIZES, 0.01)) for s in g.seeds}
    assert sweep[0][1].seeds[0] not in reported
    with pytest.raises(ValueError, match="lr_grid"):
        depth.lr_sweep_groups(SimpleNamespace(**{**vars(SIZES), "lr_grid": (0.01, 0.01)}), seed=0)


def test_groups_use_each_depth_context_and_rank_rate():
    lrs = {key: 0.001 * (1 + j) for j, key in enumerate(sorted(every_rate(SIZES, 0.0)))}
    groups = depth.groups(SIZES, seed=0, lrs=lrs)
    assert [(g.model.layers, g.model.N) for _, g in groups] == [(1, 3), (1, 8), (2, 3), (2, 8)]
    for _, g in groups:
        assert g.lrs() == tuple(lrs[g.model.layers, g.model.N, r] for r in g.ranks)
        assert g.ranks == (16, 16, 1, 1) and g.batch == 64 // g.model.N
    with pytest.raises(KeyError, match="L = 2, N = 8"):
        depth.groups(SIZES, seed=0, lrs={k: v for k, v in lrs.items() if k[:2] != (2, 8)})


@pytest.mark.parametrize("profile", ("quick", "laptop", "paper"))
def test_groups_and_planned_work_of_every_profile(profile, monkeypatch):
    from attnlab.book.profiles import sizes
    from attnlab.rank import train

    monkeypatch.setattr(train, "train", None)  # planning trains nothing
    cfg = sizes("15_depth_long_context", profile)
    assert set(cfg.anchor_Ns) <= set(cfg.Ns) and cfg.replicates >= 3 and max(cfg.Ns) >= 64
    assert max(cfg.Ns) > max(cfg.anchor_Ns)  # somewhere to measure how much of depth's help is left
    groups = depth.groups(cfg, seed=0, lrs=every_rate(cfg, cfg.lr_grid[0]))
    sweep = depth.lr_sweep_groups(cfg, seed=0)
    assert len(groups) == len(sweep) == len(cfg.layers) * len(cfg.Ns)
    K = 2 * cfg.replicates
    assert all(g.K == K and g.batch == max(cfg.min_batch, cfg.points // g.model.N) for _, g in groups)
    control = depth.control_groups(cfg, seed=0, lrs=every_rate(cfg, cfg.lr_grid[0]) | control_rates(cfg))
    control_sweep = depth.control_sweep_groups(cfg, seed=0)
    assert len(control) == len(control_sweep) == len(depth.control_sweep(cfg)) >= 1
    assert set(cfg.control_Ns) <= set(cfg.Ns) and min(cfg.control_Ns) > max(cfg.anchor_Ns)
    assert all(g.steps == cfg.control_steps > cfg.steps for _, g in control + control_sweep)
    work = depth.planned_work(cfg)
    assert work.runs == K * (len(groups) + len(control)) + 2 * len(cfg.lr_grid) * (
        len(sweep) + len(control_sweep)
    )
    assert work.steps == cfg.steps * (len(groups) + len(sweep)) + cfg.control_steps * 2 * len(control)
    every = [g for _, g in groups + sweep + control + control_sweep]
    assert work.flops == pytest.approx(sum(g.steps * g.step_flops() for g in every))


def control_rates(sizes, lr=0.01):
    return {(L, N, r): lr for L, N in depth.control_sweep(sizes) for r in depth.ranks(sizes)}


def test_budget_control_retrains_the_deeper_models_at_its_contexts_for_longer():
    assert depth.control_sweep(SIZES) == [(2, 8)]
    ((tag, g),) = depth.control_groups(SIZES, seed=0, lrs=control_rates(SIZES, 0.003))
    ((base_tag, base),) = [
        (t, b) for t, b in depth.groups(SIZES, 0, every_rate(SIZES, 0.003)) if b.model == g.model
    ]
    assert (tag, base_tag) == ("budget control", "depth")
    assert g.steps == 40 and base.steps == 10  # its own budget, everything else as the reported run
    assert (g.ranks, g.seeds, g.batch, g.lrs()) == (base.ranks, base.seeds, base.batch, base.lrs())
    ((stag, sw),) = depth.control_sweep_groups(SIZES, seed=0)
    assert stag == "control lr sweep" and sw.steps == 40 and sw.lrs() == (0.01, 0.003, 0.01, 0.003)
    assert sw.seeds == depth.lr_sweep_groups(SIZES, seed=0)[-1][1].seeds  # the sweep's seed, no replicate
    with pytest.raises(KeyError, match="L = 2, N = 8"):
        depth.control_groups(SIZES, seed=0, lrs={})
    assert depth.control_sweep(SimpleNamespace(**{**vars(SIZES), "layers": (1,)})) == []  # no deeper model


@pytest.mark.parametrize(
    "change, name",
    [
        (dict(control_Ns=(3,)), "control_Ns"),  # an anchor: no long context
        (dict(control_Ns=(16,)), "control_Ns"),  # not a context of the page
        (dict(control_steps=5), "control_steps"),  # shorter than the page's budget
    ],
)
def test_budget_control_rejects_bad_sizes(change, name):
    with pytest.raises(ValueError, match=name):
        depth.control_sweep(SimpleNamespace(**{**vars(SIZES), **change}))


def test_heldout_errors_by_depth_context_and_rank():
    from attnlab.rank.runs import RESULT_FIELDS, runs_from_results

    groups = depth.groups(SIZES, seed=2, lrs=every_rate(SIZES, 0.01)) + depth.lr_sweep_groups(SIZES, seed=2)
    groups += depth.control_groups(SIZES, seed=2, lrs=control_rates(SIZES))
    runs = [g for _, g in groups]
    fake = [{f: [float(k) for k in range(g.K)] for f in RESULT_FIELDS} | {"ms_per_step": 1.0} for g in runs]
    table = runs_from_results(groups, runs, fake)
    errors = depth.heldout_errors(table)
    assert errors[1, 3, 16] == [0.0, 1.0] and errors[2, 8, 1] == [2.0, 3.0]
    assert depth.sweep_errors(table)[2, 8, 1, 0.003] == 3.0
    assert depth.heldout_errors(table, "budget control") == {(2, 8, 16): [0.0, 1.0], (2, 8, 1): [2.0, 3.0]}
