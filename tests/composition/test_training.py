"""The chapter's one training loop: batched equals alone, FLOPs, planned work, results."""

import dataclasses

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from attnlab.book.profiles import PROFILES, sizes
from attnlab.composition import strassen as st
from attnlab.composition import training as tr
from attnlab.composition.transformer import SoftmaxTransformer
from attnlab.runtime.work import Work

SMALL = dict(d=4, heads=1, steps=6, batch=8, lr=1e-2, eval_every=3, eval_samples=16)
KINDS = [
    dict(task="comp", n=3, attention="softmax", layers=1),
    dict(task="comp", n=3, attention="softmax", layers=2),
    dict(task="comp", n=3, attention="strassen"),
    dict(task="match3", N=4, m=7, attention="strassen"),
    dict(task="brc", m=2, density=0.5, attention="softmax"),
]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: f"{k['task']}-{k['attention']}-{k.get('layers', 1)}")
def test_batched_training_equals_training_alone(kind):
    cfg = tr.CompConfig(**kind, mlp_width=(2, 4), seeds=(3, 5), **SMALL)
    batched, _ = tr.train(cfg, progress=False)
    for k, (w, s) in enumerate(cfg.runs()):
        alone, _ = tr.train(dataclasses.replace(cfg, mlp_width=w, seeds=(s,)), progress=False)
        torch.testing.assert_close(torch.tensor(batched["acc"][k]), torch.tensor(alone["acc"][0]))
        assert batched["final"][k] == pytest.approx(alone["final"][0], abs=1e-6)
        assert batched["mlp_params"][k] == alone["mlp_params"][0]


def test_each_model_has_its_own_data():
    cfg = tr.CompConfig(task="comp", n=3, seeds=(0, 1), **SMALL)
    gens = tr.data_generators([0, 1], "train data", torch.device("cpu"))
    tokens, labels = tr.sample(cfg, gens, 32, torch.device("cpu"))
    assert tokens.shape == (2, 32, 7) and labels.shape == (2, 32)
    assert not torch.equal(tokens[0], tokens[1])
    cpu, alone = torch.device("cpu"), dataclasses.replace(cfg, seeds=(0,))
    again = tr.sample(alone, tr.data_generators([0], "train data", cpu), 32, cpu)
    assert torch.equal(again[0][0], tokens[0])  # model 0's stream does not depend on its neighbours


def test_training_is_reproducible_and_models_are_the_right_class():
    cfg = tr.CompConfig(task="comp", n=3, seeds=(0, 1), **SMALL)
    r1, m1 = tr.train(cfg, progress=False)
    r2, _ = tr.train(cfg, progress=False)
    assert r1["final"] == r2["final"] and r1["steps"] == [3, 6] and len(r1["acc"]) == 2
    assert isinstance(m1, SoftmaxTransformer)
    _, m2 = tr.train(dataclasses.replace(cfg, attention="strassen"), progress=False)
    assert isinstance(m2, st.StrassenTransformer) and m2.attention == "strassen"


def test_train_takes_a_model_factory():
    cfg = tr.CompConfig(task="comp", n=3, seeds=(0,), **SMALL)
    made = []

    def factory(**kw):
        made.append(kw)
        return cfg.factory()(**kw)

    tr.train(cfg, factory=factory, progress=False)
    assert made and made[0]["models"] == 1


def test_config_validation():
    with pytest.raises(ValueError, match=r"^layers must be 1"):
        tr.CompConfig(task="match3", N=4, m=7, layers=2)
    with pytest.raises(ValueError, match=r"^seeds must list"):
        tr.CompConfig(task="comp", n=3, seeds=())
    with pytest.raises(TypeError, match=r"^cfg must be a CompConfig"):
        tr.train({"n": 3})
    cfg = tr.CompConfig(task="comp", n=3, mlp_width=[2, 4], seeds=[1, 2])
    assert cfg.mlp_width == (2, 4) and cfg.seeds == (1, 2) and cfg.models == 4
    assert cfg.runs() == [(2, 1), (2, 2), (4, 1), (4, 2)]


@pytest.mark.parametrize(
    "kind",
    [*KINDS, dict(task="comp", n=4, attention="softmax", layers=3), dict(task="brc", m=3, density=0.3)],
    ids=lambda k: f"{k['task']}-{k.get('attention', 'softmax')}-{k.get('layers', 1)}",
)
def test_step_flops_matches_the_flop_counter(kind):
    """The formula counts exactly the matrix products FlopCounterMode sees in a real step."""
    cfg = tr.CompConfig(**kind, d=8, heads=2, mlp_width=(4, 8), seeds=(0, 1), batch=16)
    step = tr.step_function(cfg)
    with FlopCounterMode(display=False) as counter:
        step()
    assert counter.get_total_flops() == pytest.approx(tr.step_flops(cfg), rel=1e-9)


def test_run_work_counts_models_steps_and_flops():
    cfg = tr.CompConfig(task="comp", n=3, mlp_width=(2, 4), seeds=(0, 1, 2), steps=10, eval_every=4)
    work = tr.run_work(cfg)
    assert work.runs == 6 and work.steps == 10
    evals = 3 + 4  # steps 4, 8, 10 at eval_samples, then the final 4 * eval_samples
    expected = 10 * tr.step_flops(cfg) + 6 * tr.forward_flops(cfg, evals * cfg.eval_samples)
    assert work.flops == pytest.approx(expected)


@pytest.mark.parametrize("profile", PROFILES)
def test_planned_work_of_pages_24_and_25(profile):
    s24 = sizes("24_training_composition", profile)
    w24 = tr.planned_work(s24)
    assert isinstance(w24, Work)
    assert (
        w24.runs == 2 * len(s24.ns) * s24.seeds + len(s24.frontier_ns) * len(s24.widths) * s24.frontier_seeds
    )
    assert w24.steps == 2 * len(s24.ns) * s24.steps + len(s24.frontier_ns) * s24.frontier_steps
    assert w24.flops > 0
    s25 = sizes("25_strassen_attention", profile)
    w25 = st.planned_work(s25)
    assert w25.runs == 7 * s25.seeds
    assert w25.steps == 3 * s25.steps + 4 * s25.token_steps
    runs = st.page_configs(s25)
    assert set(runs["comp"]) == {"softmax, 1 layer", "softmax, 2 layers", "Strassen, 1 layer"}
    assert w25.flops == pytest.approx(sum(tr.run_work(c).flops for p in runs.values() for c in p.values()))


def test_page_configs_seeds_differ_by_page_seed():
    s24 = sizes("24_training_composition", "quick")
    a, b = tr.page_configs(s24, 0), tr.page_configs(s24, 1)
    assert set(a["depth"][0].seeds).isdisjoint(b["depth"][0].seeds)
    assert set(a["depth"][0].seeds).isdisjoint(a["frontier"][0].seeds)
    assert len(set(a["depth"][0].seeds)) == s24.seeds


def test_first_step_above():
    r = {"steps": [10, 20, 30], "acc": [[0.1, 0.5, 0.9], [0.1, 0.2, 0.3], [0.7, 0.1, 0.8]]}
    assert tr.first_step_above(r, 0.5) == [20, None, 10]


def test_sweep_runs_and_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_CACHE", str(tmp_path))
    monkeypatch.delenv("ATTNLAB_RAY_ADDRESS", raising=False)
    cfg = tr.CompConfig(task="comp", n=3, seeds=(0,), **SMALL)
    first = tr.train_sweep([cfg, dataclasses.replace(cfg, attention="strassen")])
    again = tr.train_cached(cfg)
    assert again["final"] == first[0]["final"] and len(first) == 2


def test_training_twice_on_two_threads_gives_identical_weights():
    """Same seeds, same numbers, bit for bit, with two threads. (A guard: the embedding's old
    backward, a parallel accumulating ``index_put_``, drifted only now and then, over page 25's
    800 steps, so this short run did not catch it.)"""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        shape = dict(task="comp", n=5, attention="strassen", d=16, heads=1, mlp_width=32, seeds=(0, 1, 2))
        cfg = tr.CompConfig(**shape, steps=20, batch=512, lr=0.02, eval_every=40, eval_samples=200)
        (_, a), (_, b) = tr.train(cfg, progress=False), tr.train(cfg, progress=False)
    finally:
        torch.set_num_threads(threads)
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q), name
