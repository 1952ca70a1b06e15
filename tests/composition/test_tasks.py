"""Labels of the composition tasks against brute force, and the two reductions."""

import itertools
from fractions import Fraction

import pytest
import torch

from attnlab.composition import tasks as ct


def test_comp_labels_match_definition_exhaustively():
    n = 3
    W = ct.enumerate_comp(n)
    assert W.shape == (n ** (2 * n + 1), 2 * n + 1)
    got = ct.comp_task(W, n)
    for w, y in zip(W.tolist(), got.tolist(), strict=True):  # all 2187 inputs
        g, h, x = w[:n], w[n : 2 * n], w[2 * n]
        assert y == h[g[x]]


def test_ind_labels_and_its_reduction_to_comp():
    for n in (2, 3, 4):
        I = ct.all_inputs(ct.ind_sizes(n))
        brute = torch.tensor([w[1 + w[0]] == 1 for w in I.tolist()])
        assert torch.equal(ct.ind_task(I, n), brute)
        assert torch.equal(ct.comp_task(ct.comp_from_ind(I, n), n) == 0, brute)


def test_match3_and_sum2_against_brute_force_and_the_reduction_of_sum2_to_match3():
    m, N = 5, 4
    W = ct.all_inputs([m] * N)
    got = ct.match3(W, m)
    for w, row in zip(W[::7].tolist(), got[::7].tolist(), strict=True):
        for i in range(N):
            assert row[i] == any(
                (w[i] + w[j] + w[k]) % m == 0 for j, k in itertools.product(range(N), repeat=2)
            )
    vals = ct.sum2_values(m)
    S = vals[ct.all_inputs([len(vals)] * 3)]
    s2 = ct.sum2(S, m)
    for w, y in zip(S.tolist(), s2.tolist(), strict=True):
        assert y == any((a + b) % m == m - 1 for a, b in itertools.product(w, repeat=2))
    assert torch.equal(ct.match3(ct.match3_from_sum2(S, m), m)[:, 0], s2)


def test_most_frequent_value_accuracy_against_enumeration():
    assert ct.most_frequent_value_accuracy(2) == Fraction(3, 4)  # h constant: 2 of 4 tables
    assert ct.most_frequent_value_accuracy(3) == Fraction(17, 27)
    for n in (2, 3, 4, 5):
        H = ct.all_inputs([n] * n)
        fibres = torch.zeros(len(H), n, dtype=torch.long).scatter_add_(1, H, torch.ones_like(H))
        assert ct.max_fibre_total(n) == int(fibres.max(1).values.sum())
    for n in (2, 5, 12):
        assert 1 / n < ct.most_frequent_value_accuracy(n) < 1


def test_all_inputs_is_integer_even_without_positions():
    empty = ct.all_inputs([])
    assert empty.shape == (1, 0) and empty.dtype == torch.long
    assert ct.all_inputs([2, 3]).dtype == torch.long


def test_palindromes_and_samplers():
    assert ct.palindromes(torch.tensor([[1, 0, 1], [1, 0, 0]])).tolist() == [True, False]
    a = ct.sample_comp(5, 10, seed=3)
    assert torch.equal(a, ct.sample_comp(5, 10, seed=3))
    assert a.shape == (10, 11) and a.min() >= 0 and a.max() < 5
    s = ct.sample_sum2(4, 6, 100, seed=1)
    assert not (s == 4).any()


def test_example_comp_is_seeded_and_its_answer_depends_on_the_query():
    for n in (2, 3, 4, 8):
        for seed in range(5):
            w = ct.example_comp(n, seed)
            assert torch.equal(w, ct.example_comp(n, seed))
            g, h = w[:n], w[n : 2 * n]
            queries = torch.cat([g, h, torch.tensor([0])]).repeat(n, 1)
            queries[:, 2 * n] = torch.arange(n)  # every query x over the same g and h
            assert ct.comp_task(queries, n).unique().numel() > 1
    with pytest.raises(ValueError, match="n must"):
        ct.example_comp(1)


def test_bad_inputs_name_the_parameter():
    with pytest.raises(ValueError, match="n must"):
        ct.comp_sizes(1)
    with pytest.raises(ValueError, match="n must"):
        ct.sample_comp(1, 4)
    with pytest.raises(ValueError, match="sizes"):
        ct.all_inputs([10] * 10)
    with pytest.raises(ValueError, match="tokens"):
        ct.sum2(torch.tensor([[3]]), 5)  # 3 = m - 2 is excluded
    with pytest.raises(ValueError, match="m must"):
        ct.sum2(torch.tensor([[0]]), 3)
