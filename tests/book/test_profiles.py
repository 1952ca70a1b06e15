"""The typed sizes table: profiles, read-only sizes, smoke cuts and the recorded dict."""

import dataclasses

import pytest

from attnlab.book.profiles import (
    PROFILES,
    SIZES,
    SMOKE_BATCH,
    SMOKE_ENV,
    SMOKE_SAMPLES,
    as_dict,
    sizes,
    smoke_cuts,
)


def test_every_page_has_one_frozen_dataclass_and_a_read_only_table():
    for notebook, table in SIZES.items():
        assert tuple(table) == PROFILES, notebook
        kinds = {type(table[p]) for p in PROFILES}
        assert len(kinds) == 1 and dataclasses.is_dataclass(table["quick"]), notebook
    cfg = sizes("12_training_rank_heads", "quick")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.d = 32
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.fig1.N = 8
    with pytest.raises(TypeError):
        SIZES["12_training_rank_heads"]["quick"] = cfg
    with pytest.raises(TypeError):
        SIZES["new_page"] = SIZES["00_attention"]


def test_bad_names_name_the_parameter():
    with pytest.raises(ValueError, match="^notebook must be one of"):
        sizes("no_such_page", "quick")
    with pytest.raises(ValueError, match="^profile must be one of 'quick', 'laptop', 'paper'"):
        sizes("00_attention", "huge")


def test_laptop_and_paper_change_only_what_they_write():
    quick, laptop, paper = (sizes("12_training_rank_heads", p) for p in PROFILES)
    assert (quick.d, laptop.d, paper.d) == (16, 32, 64)
    assert laptop.lr == paper.lr == quick.lr and laptop.steps_per_epoch == quick.steps_per_epoch
    assert laptop.fig1.N == quick.fig1.N and laptop.fig1.protocols == ("fresh", "replay")
    assert laptop.fig3.steps is None and quick.fig3.steps == 1000 and paper.fig3.steps == 200_000
    assert paper.fig3.widened_full_rank and not laptop.fig3.widened_full_rank
    assert sizes("25_strassen_attention", "paper").timing.fit_last == 3


def test_as_dict_is_the_recorded_table():
    quick = as_dict(sizes("12_training_rank_heads", "quick"))
    assert quick["fig1"] == {
        "N": 16,
        "groups": ((1, 1, (16, 4, 1)),),
        "protocols": ("fresh", "replay"),
        "more_heads": (4, 16),
        "more_heads_ranks": (4, 1),
    }
    assert list(quick["fig3"]) == [
        "N",
        "c",
        "layers",
        "positional",
        "ranks",
        "pos_dim",
        "steps",
    ]  # unset: left out
    assert "steps" not in as_dict(sizes("12_training_rank_heads", "laptop"))["fig3"]
    paper_fig3 = as_dict(sizes("12_training_rank_heads", "paper"))["fig3"]
    assert (paper_fig3["lr"], paper_fig3["steps"], paper_fig3["widened_full_rank"]) == (0.005, 200_000, True)
    assert as_dict(sizes("12_training_rank_heads", "paper"))["figN"]["points"] is None  # set to None: kept
    assert as_dict(sizes("15_depth_long_context", "quick"))["lr_grid"] == (0.005, 0.01, 0.02)
    assert as_dict(sizes("95_claims", "paper")) == {}


def test_smoke_cuts_say_which_sizes_a_smoke_run_cuts():
    assert smoke_cuts(sizes("12_training_rank_heads", "paper")) == {
        "steps": "steps",
        "batch": "batch",
        "figN.steps": "steps",
        "fig3.steps": "steps",
        "baseline_samples": "samples",
        "eval_batches": "eval_batches",
    }
    assert smoke_cuts(sizes("92_paper_scale", "quick")) == {"timing_steps": "steps"}
    assert smoke_cuts(sizes("14_biased_nearest_neighbor", "paper")) == {}


def test_a_smoke_run_cuts_the_marked_sizes_only(monkeypatch):
    assert (SMOKE_SAMPLES, SMOKE_BATCH) == (512, 16)
    monkeypatch.setenv(SMOKE_ENV, "2")
    s12 = sizes("12_training_rank_heads", "paper")
    assert (s12.steps, s12.batch, s12.figN.steps, s12.fig3.steps) == (2, 16, 2, 2)
    assert (s12.baseline_samples, s12.eval_batches) == (512, 1)
    assert (s12.steps_per_epoch, s12.ff, s12.figN.points, s12.fig1.N) == (100, 2048, None, 16)
    assert sizes("12_training_rank_heads", "laptop").fig3.steps is None  # unset stays unset
    s15 = sizes("15_depth_long_context", "paper")
    assert (s15.steps, s15.eval_batches, s15.baseline_samples, s15.points) == (2, 1, 512, 4096)
    s25 = sizes("25_strassen_attention", "paper")
    assert (s25.steps, s25.token_steps, s25.batch, s25.token_batch) == (2, 2, 16, 16)
    assert (s25.random_inputs, s25.eval_samples, s25.token_eval_samples) == (512, 512, 512)
    assert (s25.timing.batch, s25.timing.d, s25.match3.m, s25.token_eval_every) == (8, 64, 181, 500)
    s92 = sizes("92_paper_scale", "paper")
    assert (s92.timing_steps, s92.timing_warmup, s92.timing_max_flops) == (2, 1, 5e9)
    s23 = sizes("23_identity_and_constructions", "paper")
    assert (s23.inputs, s23.random_inputs) == (4096, 512)  # inputs: not an evaluation size
    assert sizes("20_composition_tasks", "paper").batch == 16
    assert sizes("00_attention", "paper").batch == 16
    assert sizes("22_vc_bound", "paper").readout_inputs == 128  # under the cap
    s10 = sizes("10_full_rank_construction", "paper")
    assert (s10.samples, s10.estimate_samples, s10.d) == (512, 512, 64)
    s11 = sizes("11_random_features", "quick")
    assert (s11.mc_samples, s11.energy_samples, s11.mc_heads) == (512, 512, 16)
    s13 = sizes("13_depth", "paper")
    assert (s13.samples, s13.vote_samples, s13.repeats) == (512, 512, 20)
    s24 = sizes("24_training_composition", "paper")
    assert (s24.steps, s24.frontier_steps, s24.batch, s24.eval_every) == (2, 2, 16, 500)
    assert sizes("14_biased_nearest_neighbor", "paper") == SIZES["14_biased_nearest_neighbor"]["paper"]
    assert sizes("90_performance", "paper") == SIZES["90_performance"]["paper"]
