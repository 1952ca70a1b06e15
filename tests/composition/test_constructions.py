"""The explicit constructions (softmax and Strassen) solve Comp_n exactly; training runs."""

import math

import pytest
import torch

from attnlab.composition import constructions
from attnlab.composition import tasks as ct
from attnlab.composition.constructions import (
    ONE_LAYER_HEADS,
    STRASSEN_D,
    comp_errors,
    one_layer_comp,
    one_layer_mlp_params,
    one_layer_size,
    strassen_comp,
    strassen_scale,
    two_layer_comp,
)
from attnlab.composition.model import TransformerConfig
from attnlab.composition.strassen import strassen_scores
from attnlab.composition.training import CompConfig, train


@pytest.mark.parametrize("build", [two_layer_comp, one_layer_comp])
def test_constructions_exact_exhaustively_and_at_random(build):
    for n in (2, 3):
        assert comp_errors(build(n), ct.enumerate_comp(n), n).max() < 1e-6
    for n in (8, 64):
        assert comp_errors(build(n), ct.sample_comp(n, 500, seed=n), n).max() < 1e-6


def test_sizes_of_constructions():
    assert two_layer_comp(4).d == two_layer_comp(32).d == 11
    m = one_layer_comp(5)
    assert m.d == 22 and m.mlp_width == 5 and m.layers == 1


@pytest.mark.parametrize("n", [2, 3, 5, 8])
def test_one_layer_size_formulas_match_the_built_model(n):
    m = one_layer_comp(n)
    assert one_layer_mlp_params(n) == m.mlp_params == n * (m.d + 2) + 1
    assert one_layer_size(n) == m.size and m.heads == ONE_LAYER_HEADS
    assert one_layer_size(10**12) > 3 * 10**24  # by formula, for any n


def test_training_smoke_and_bad_n():
    shape = dict(task="comp", model=TransformerConfig(layers=1, d=8, heads=1), lr=1e-2)
    r, _ = train(CompConfig(n=3, mlp_width=(2, 4), seeds=(0, 1), steps=5, batch=16, **shape), progress=False)
    assert r["widths"] == [2, 2, 4, 4] and len(r["final"]) == 4
    with pytest.raises(ValueError, match="n must"):
        two_layer_comp(1)
    with pytest.raises(ValueError, match="n"):
        CompConfig(n=1, mlp_width=2, seeds=(0,), steps=1, batch=4, **shape)


# -- one Strassen layer -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3])
def test_strassen_construction_exact_on_every_input(n):
    model = strassen_comp(n)
    err = comp_errors(model, ct.enumerate_comp(n), n)
    assert err.shape == (n ** (2 * n + 1),)
    assert err.max() < 1e-9


def test_strassen_construction_exact_on_random_inputs_and_constant_size():
    for n in (5, 16, 40):
        model = strassen_comp(n)
        assert model.size == 12 and model.d == STRASSEN_D and model.heads == 1
        err = comp_errors(model, ct.sample_comp(n, 500, seed=n), n)
        assert err.max() < 1e-6
    assert strassen_scale(40) == pytest.approx(40 / (1 - math.cos(2 * math.pi / 40)))


def test_strassen_construction_attends_to_the_right_pair():
    n = 4
    model = strassen_comp(n)
    tokens = ct.sample_comp(n, 64, seed=0)
    x = model.embed_tokens(tokens)[0]  # (B, T, d)
    proj = {k: x @ getattr(model, k)[0, 0].mT for k in ("W_f", "W_g", "W_h")}
    s = strassen_scores(proj["W_f"][:, -1:], proj["W_g"], proj["W_h"])[:, 0]  # (B, T, T)
    best = s.flatten(1).argmax(-1)
    gx = tokens.gather(1, tokens[:, -1:])[:, 0]
    assert torch.equal(best // (2 * n + 1), tokens[:, -1])  # j = x
    assert torch.equal(best % (2 * n + 1), n + gx)  # k = n + g(x)


def test_strassen_construction_bad_arguments():
    with pytest.raises(ValueError, match=r"^n must be an integer >= 2"):
        strassen_comp(1)
    with pytest.raises(ValueError, match=r"^margin must be a number > 0"):
        strassen_comp(4, margin=0.0)


def test_comp_errors_chunk_by_context_length_and_agree_with_one_chunk(monkeypatch):
    n = 16
    model, tokens = strassen_comp(n), ct.sample_comp(n, 300, seed=0)
    whole = comp_errors(model, tokens, n, chunk=300)
    monkeypatch.setattr(constructions, "CHUNK_SCORES", 64 * (2 * n + 1) ** 2)  # 64 inputs a chunk
    torch.testing.assert_close(comp_errors(model, tokens, n), whole, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="chunk"):
        comp_errors(model, tokens, n, chunk=0)


@pytest.mark.parametrize("margin", [10.0, 40.0])
def test_strassen_construction_keeps_the_margin_it_is_built_for(margin):
    n = 3
    model = constructions.strassen_comp(n, margin=margin)
    margins = constructions.strassen_pair_margins(model, ct.enumerate_comp(n), n)
    assert margins.shape == (n ** (2 * n + 1),)
    assert margins.min().item() == pytest.approx(margin, rel=1e-9)  # attained: the margin is tight
