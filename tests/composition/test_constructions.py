"""The explicit constructions solve Comp_n exactly; training runs and stacks models."""

import pytest

from attnlab.composition import tasks as ct
from attnlab.composition.constructions import (
    ONE_LAYER_HEADS,
    comp_errors,
    one_layer_comp,
    one_layer_mlp_params,
    one_layer_size,
    two_layer_comp,
)
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
    shape = dict(task="comp", layers=1, d=8, heads=1, lr=1e-2)
    r, _ = train(CompConfig(n=3, mlp_width=(2, 4), seeds=(0, 1), steps=5, batch=16, **shape), progress=False)
    assert r["widths"] == [2, 2, 4, 4] and len(r["final"]) == 4
    with pytest.raises(ValueError, match="n must"):
        two_layer_comp(1)
    with pytest.raises(ValueError, match="n"):
        CompConfig(n=1, mlp_width=2, seeds=(0,), steps=1, batch=4, **shape)
