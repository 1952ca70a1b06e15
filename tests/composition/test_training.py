"""The chapter's one training loop: batched equals alone, keys, FLOPs, work, the runs table."""

import dataclasses
import json

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from attnlab.composition import training as tr
from attnlab.composition.model import TransformerConfig
from attnlab.composition.strassen import StrassenTransformer
from attnlab.composition.transformer import SoftmaxTransformer

SMALL = dict(d=4, heads=1, steps=6, batch=8, lr=1e-2, eval_every=3, eval_samples=16)
MODEL_FIELDS = {f.name for f in dataclasses.fields(TransformerConfig)}


def comp_config(**kw) -> tr.CompConfig:
    """A CompConfig from flat arguments: the model's fields go to its TransformerConfig."""
    model = TransformerConfig(**{k: v for k, v in kw.items() if k in MODEL_FIELDS})
    return tr.CompConfig(model=model, **{k: v for k, v in kw.items() if k not in MODEL_FIELDS})


def strassen(cfg: tr.CompConfig) -> tr.CompConfig:
    """The same run with a Strassen layer."""
    return dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, attention="strassen"))


KINDS = [
    dict(task="comp", n=3, attention="softmax", layers=1),
    dict(task="comp", n=3, attention="softmax", layers=2),
    dict(task="comp", n=3, attention="strassen"),
    dict(task="match3", N=4, m=7, attention="strassen"),
    dict(task="brc", m=2, density=0.5, attention="softmax"),
    dict(task="ind", n=4, attention="softmax", layers=1),
]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: f"{k['task']}-{k['attention']}-{k.get('layers', 1)}")
def test_batched_training_equals_training_alone(kind):
    cfg = comp_config(**kind, mlp_width=(2, 4), seeds=(3, 5), **SMALL)
    batched, _ = tr.train(cfg, progress=False)
    for k, (w, s) in enumerate(cfg.runs()):
        alone, _ = tr.train(dataclasses.replace(cfg, mlp_width=w, seeds=(s,)), progress=False)
        torch.testing.assert_close(torch.tensor(batched["acc"][k]), torch.tensor(alone["acc"][0]))
        assert batched["final"][k] == pytest.approx(alone["final"][0], abs=1e-6)
        assert batched["mlp_params"][k] == alone["mlp_params"][0]


def test_each_model_has_its_own_data():
    cfg = comp_config(task="comp", n=3, seeds=(0, 1), **SMALL)
    gens = tr.data_streams([0, 1], "train data", torch.device("cpu"))
    tokens, labels = tr.sample(cfg, gens, 32, torch.device("cpu"))
    assert tokens.shape == (2, 32, 7) and labels.shape == (2, 32)
    assert not torch.equal(tokens[0], tokens[1])
    cpu, alone = torch.device("cpu"), dataclasses.replace(cfg, seeds=(0,))
    again = tr.sample(alone, tr.data_streams([0], "train data", cpu), 32, cpu)
    assert torch.equal(again[0][0], tokens[0])  # model 0's stream does not depend on its neighbours
    widths = tr.data_streams([4, 4, 7], "train data", cpu)  # models of one seed share one stream
    assert list(widths) == [4, 7]


def test_training_is_reproducible_and_models_are_the_right_class():
    cfg = comp_config(task="comp", n=3, seeds=(0, 1), **SMALL)
    r1, m1 = tr.train(cfg, progress=False)
    r2, _ = tr.train(cfg, progress=False)
    assert r1["final"] == r2["final"] and r1["steps"] == [3, 6] and len(r1["acc"]) == 2
    assert isinstance(m1, SoftmaxTransformer)
    _, m2 = tr.train(strassen(cfg), progress=False)
    assert isinstance(m2, StrassenTransformer) and m2.attention == "strassen"


def test_train_takes_a_model_factory():
    cfg = comp_config(task="comp", n=3, seeds=(0,), **SMALL)
    made = []

    def factory(**kw):
        made.append(kw)
        return cfg.factory()(**kw)

    tr.train(cfg, factory=factory, progress=False)
    assert made and made[0]["models"] == 1


def test_config_validation():
    with pytest.raises(ValueError, match=r"^layers must be 1"):
        comp_config(task="match3", N=4, m=7, layers=2)
    with pytest.raises(ValueError, match=r"^seeds must list"):
        tr.CompConfig(task="comp", n=3, seeds=())
    with pytest.raises(TypeError, match=r"^cfg must be a CompConfig"):
        tr.train({"n": 3})
    with pytest.raises(TypeError, match=r"^model must be a TransformerConfig"):
        tr.CompConfig(task="comp", n=3, model=dict(d=4))
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
    cfg = comp_config(**kind, d=8, heads=2, mlp_width=(4, 8), seeds=(0, 1), batch=16)
    step = tr.step_timer(cfg)
    with FlopCounterMode(display=False) as counter:
        step()
    assert counter.get_total_flops() == pytest.approx(tr.step_flops(cfg), rel=1e-9)


def test_work_counts_models_steps_and_flops():
    cfg = tr.CompConfig(task="comp", n=3, mlp_width=(2, 4), seeds=(0, 1, 2), steps=10, eval_every=4)
    work = cfg.work()
    assert work.runs == 6 and work.steps == 10
    evals = 3 + 4  # steps 4, 8, 10 at eval_samples, then the final 4 * eval_samples
    expected = 10 * tr.step_flops(cfg) + 6 * tr.forward_flops(cfg, evals * cfg.eval_samples)
    assert work.flops == pytest.approx(expected)


def test_key_round_trip():
    cfg = comp_config(task="brc", m=3, density=0.25, attention="strassen", mlp_width=(2, 4), seeds=(5, 6))
    key = cfg.to_key("cpu")
    assert key["device_type"] == "cpu" and key["mlp_width"] == (2, 4)
    assert key["model"]["attention"] == "strassen"  # the model's shape nested in the key
    assert tr.CompConfig.from_key(key) == cfg
    assert tr.CompConfig.from_key(json.loads(json.dumps(key))) == cfg  # as the cache stores it
    with pytest.raises(ValueError, match=r"^device must be one of"):
        cfg.to_key("tpu")


def test_file_runs_gives_one_row_per_model():
    a = tr.CompConfig(task="comp", n=3, mlp_width=(2, 4), seeds=(0, 1))
    b = comp_config(task="match3", N=4, m=7, attention="strassen", seeds=(0, 1))
    results = [
        {"steps": [5], "acc": [[0.1], [0.2], [0.3], [0.4]], "final": [0.1, 0.2, 0.3, 0.4]}
        | {"mlp_params": [1, 1, 2, 2], "size": [16, 16, 16, 16], "ms_per_step": 3.0},
        {"steps": [5], "acc": [[0.5], [0.6]], "final": [0.5, 0.6], "mlp_params": [9, 9]}
        | {"size": [16, 16], "ms_per_step": 4.0},
    ]
    runs = tr.file_runs([("x", a), ("y", b)], results)
    assert len(runs) == 6
    assert runs.values("final", tag="x", width=4) == [0.3, 0.4]
    assert runs.values("seed", tag="x", width=2) == [0, 1]
    assert runs.values("final", task="match3", attention="strassen") == [0.5, 0.6]
    assert runs.select(tag="y")[0]["n"] is None and runs.select(tag="y")[0]["N"] == 4
    assert tr.first_step_above(runs.select(tag="x"), 0.2) == [None, 5, 5, 5]


def test_first_step_above():
    curves = ([0.1, 0.5, 0.9], [0.1, 0.2, 0.3], [0.7, 0.1, 0.8])
    rows = [{"eval_steps": [10, 20, 30], "acc": acc} for acc in curves]
    assert tr.first_step_above(rows, 0.5) == [20, None, 10]


def test_sweep_runs_and_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_CACHE", str(tmp_path))
    monkeypatch.delenv("ATTNLAB_RAY_ADDRESS", raising=False)
    cfg = comp_config(task="comp", n=3, seeds=(0,), **SMALL)
    first = tr.train_sweep([cfg, strassen(cfg)])
    again = tr.train_sweep([cfg])[0]  # from the cache
    assert again["final"] == first[0]["final"] and len(first) == 2
    runs = tr.train_groups([("a", cfg)])
    assert runs.values("final", tag="a") == first[0]["final"]


def test_training_twice_on_two_threads_gives_identical_weights():
    """Same seeds, same numbers, bit for bit, with two threads. (A guard: the embedding's old
    backward, a parallel accumulating ``index_put_``, drifted only now and then, over page 25's
    800 steps, so this short run did not catch it.)"""
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        shape = dict(task="comp", n=5, attention="strassen", d=16, heads=1, mlp_width=32, seeds=(0, 1, 2))
        cfg = comp_config(**shape, steps=20, batch=512, lr=0.02, eval_every=40, eval_samples=200)
        (_, a), (_, b) = tr.train(cfg, progress=False), tr.train(cfg, progress=False)
    finally:
        torch.set_num_threads(threads)
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q), name
