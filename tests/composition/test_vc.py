"""Split-VC values by brute force, the bounds, and bad inputs."""

import pytest
import torch

from attnlab.composition import constructions
from attnlab.composition import tasks as ct
from attnlab.composition.transformer import SoftmaxTransformer
from attnlab.composition.vc import (
    min_size_peng,
    min_size_vc,
    peng_error_bound,
    readout_operation_terms,
    readout_operations,
    readout_program,
    split_vc,
    truth_table,
    vc_dimension,
    vc_dimension_by_subsets,
    vc_upper_bound,
    witness_mismatches,
)


@pytest.mark.parametrize("n", [3, 4])
def test_ind_has_split_vc_n(n):
    r = split_vc(lambda w: ct.ind_task(w, n), ct.ind_sizes(n))
    assert r.value == n
    assert r.per_split[(0,)] == n


def test_worked_example_has_split_vc_two_and_the_witness_shatters():
    f = lambda w: (w[:, 0] & w[:, 1]) ^ (w[:, 2] & w[:, 3])
    r = split_vc(f, [2, 2, 2, 2])
    assert r.value == 2 and r.per_split[(0, 2)] == 2
    # the witness: every pattern is realised by the reported column
    A, B = r.split, [i for i in range(4) if i not in r.split]
    for c, col in enumerate(r.witness_columns.tolist()):
        for i, row in enumerate(r.witness.tolist()):
            w = [0] * 4
            for a, v in zip(A, row, strict=True):
                w[a] = v
            for b, v in zip(B, col, strict=True):
                w[b] = v
            assert int(f(torch.tensor([w]))[0]) == (c >> i) & 1


def test_palindromes_split_vc_one():
    for n in (4, 5):
        assert split_vc(ct.palindromes, [2] * n).value == 1


def test_vc_dimension_of_known_matrices():
    eye = torch.eye(4, dtype=torch.bool)
    assert vc_dimension(eye)[0] == 1
    full = ct.all_inputs([2] * 3).T.bool()  # rows = 3 coordinates, columns = all 8 patterns
    assert vc_dimension(full)[0] == 3


def test_subset_enumeration_agrees_with_the_search_on_random_matrices():
    gen = torch.Generator().manual_seed(0)
    for R, C in [(1, 1), (3, 8), (6, 5), (7, 20), (10, 40)]:
        for _ in range(5):
            M = torch.rand(R, C, generator=gen) < 0.5
            assert vc_dimension_by_subsets(M) == vc_dimension(M)[0]
    assert vc_dimension_by_subsets(torch.ones(4, 3, dtype=torch.bool)) == 0  # one distinct column


def test_witness_check_accepts_genuine_and_rejects_corrupted_witnesses():
    f = lambda w: ct.ind_task(w, 3)
    r = split_vc(f, ct.ind_sizes(3))
    assert witness_mismatches(r, f) == 0
    r.witness_columns = r.witness_columns.flip(0)  # patterns now point at the wrong columns
    assert witness_mismatches(r, f) > 0
    pal = split_vc(ct.palindromes, [2] * 4)  # attained at the empty split: witness (1, 0)
    assert pal.split == () and witness_mismatches(pal, ct.palindromes) == 0


def _program_on(model, tokens, A, target=0.0):
    al, la, be, mu, xo = (part[0] for part in model.head_parts(tokens, A))
    W_1 = None if model.W_1 is None else model.W_1[0]
    b_1 = None if model.b_1 is None else model.b_1[0]
    return [
        readout_program(
            al[b], la[b], be[b], mu[b], xo[b], model.W_o[0, 0], W_1, b_1, model.W_2[0], model.b_2[0], target
        )
        for b in range(tokens.shape[0])
    ]


@pytest.mark.parametrize("d,H,units", [(1, 1, 0), (3, 2, 4), (2, 3, 1)])
@torch.no_grad()
def test_readout_program_reproduces_the_model_and_its_count_is_within_t(d, H, units):
    torch.manual_seed(1)
    model = SoftmaxTransformer(6, 3, d, heads=H, mlp_width=units, out=1).double()
    for bias in (model.b_1, model.b_2):
        if bias is not None:
            bias.normal_()
    tokens = torch.randint(0, 3, (5, 6))
    y_model = model(tokens)[0, :, 0]
    terms = readout_operation_terms(d, H, model.mlp_params)
    assert sum(terms.values()) == readout_operations(d, H, model.mlp_params)
    for (y, _, counts), ym in zip(_program_on(model, tokens, [0, 1]), y_model.tolist(), strict=True):
        assert y == pytest.approx(ym, rel=1e-12, abs=1e-12)
        assert {k: counts[k] for k in ("heads", "W_O", "residual", "threshold")} == {
            k: terms[k] for k in ("heads", "W_O", "residual", "threshold")
        }
        assert counts["mlp"] == (2 * d * units + 3 * units if units else 2 * d) <= terms["mlp"]


@torch.no_grad()
def test_readout_program_on_the_construction_answers_ind():
    n = 3
    model = constructions.one_layer_comp(n)
    I = ct.all_inputs(ct.ind_sizes(n))
    answers = [a for _, a, _ in _program_on(model, ct.comp_from_ind(I, n), [0])]
    assert answers == ct.ind_task(I, n).tolist()


def test_readout_program_bad_shapes_name_the_parameter():
    H, d = 2, 3
    args = dict(
        alpha=torch.zeros(H, d),
        lam=torch.ones(H),
        gamma=torch.zeros(H, d),
        mu=torch.ones(H),
        x_out=torch.zeros(d),
        W_o=torch.zeros(d, H * d),
        W_1=None,
        b_1=None,
        W_2=torch.zeros(d, 1),
        b_2=torch.zeros(1),
    )
    readout_program(**args)
    with pytest.raises(ValueError, match="W_o"):
        readout_program(**(args | {"W_o": torch.zeros(d, d)}))
    with pytest.raises(ValueError, match="mu"):
        readout_program(**(args | {"mu": torch.ones(H + 1)}))
    with pytest.raises(ValueError, match="W_1 and b_1"):
        readout_program(**(args | {"b_1": torch.zeros(4)}))


def test_bounds_are_monotone_and_consistent():
    assert vc_upper_bound(4, 2, 10) < vc_upper_bound(5, 2, 10)
    assert vc_upper_bound(1, 1, 0) == 4 * 2 * (3 + 1 + 1 + 0 + 2 + 2)
    s = min_size_vc(10**6)
    assert vc_upper_bound(s, s, s) >= 10**6 > vc_upper_bound(s - 1, s - 1, s - 1)
    assert peng_error_bound(1000, 1, 1, 1) > 0 and peng_error_bound(4, 8, 8, 64) == 0
    s = min_size_peng(1000, 8)
    assert s * (s + 1) * 8 >= 1000 * 9.96 > (s - 1) * s * 8


def test_bad_inputs_name_the_parameter():
    f = lambda w: ct.ind_task(w, 3)
    with pytest.raises(ValueError, match="split"):
        split_vc(f, ct.ind_sizes(3), split=[0, 7])
    with pytest.raises(ValueError, match="split"):
        split_vc(f, ct.ind_sizes(3), split=[1, 1])
    with pytest.raises(ValueError, match="alphabet"):
        truth_table(ct.palindromes, [16] * 6)  # 2^24 words > 2^20
    with pytest.raises(ValueError, match="d must"):
        vc_upper_bound(0, 1, 1)
    with pytest.raises(ValueError, match="P must"):
        vc_upper_bound(1, 1, -1)
    with pytest.raises(ValueError, match="n must"):
        min_size_vc(1)


def test_smallest_integer_finds_the_threshold_of_a_monotone_predicate():
    from attnlab.composition.vc import smallest_integer

    for threshold in (0, 1, 5, 17, 1000):
        assert smallest_integer(lambda x, t=threshold: x >= t, 0) == threshold
    assert smallest_integer(lambda x: x >= 3, 10) == 10


def test_readout_on_model_reproduces_the_forward_pass():
    from attnlab.composition.transformer import SoftmaxTransformer
    from attnlab.composition.vc import readout_on_model

    torch.manual_seed(0)
    model = SoftmaxTransformer(7, 3, 4, heads=2, mlp_width=5, out=1).double()
    tokens = torch.randint(0, 3, (20, 7))
    gap, answers, counts = readout_on_model(model, tokens, range(3))
    assert gap < 1e-10
    y = model(tokens)[0, :, 0]
    assert answers == ((y - 0.0).abs() < 0.5).tolist()
    assert set(counts) == {"heads", "W_O", "residual", "mlp", "threshold"}
