"""Labels of the composition tasks against brute force, the two reductions, the samplers."""

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


# -- binary-relation composition and the trained tasks' samplers ----------------------------------


def test_brc_labels_by_sets():
    gen = torch.Generator().manual_seed(1)
    for m in (1, 2, 3, 5):
        A = torch.rand(20, m, m, generator=gen) < 0.4
        B = torch.rand(20, m, m, generator=gen) < 0.4
        got = ct.brc_labels(A, B)
        for b in range(20):
            pairs_a = {(i, k) for i in range(m) for k in range(m) if A[b, i, k]}
            pairs_b = {(k, j) for k in range(m) for j in range(m) if B[b, k, j]}
            comp = {(i, j) for (i, k) in pairs_a for (k2, j) in pairs_b if k == k2}
            want = torch.tensor([[(i, j) in comp for j in range(m)] for i in range(m)])
            assert torch.equal(got[b], want)


def test_brc_labels_examples_and_matrix_product():
    A = torch.tensor([[0, 1], [0, 0]])  # 0 -> 1
    B = torch.tensor([[0, 0], [1, 0]])  # 1 -> 0
    assert ct.brc_labels(A, B).tolist() == [[True, False], [False, False]]  # 0 -> 1 -> 0
    assert ct.brc_labels(B, A).tolist() == [[False, False], [False, True]]  # 1 -> 0 -> 1
    gen = torch.Generator().manual_seed(2)
    A = (torch.rand(50, 6, 6, generator=gen) < 0.3).long()
    B = (torch.rand(50, 6, 6, generator=gen) < 0.3).long()
    assert torch.equal(ct.brc_labels(A, B), (A @ B) > 0)


def test_brc_tokens_round_trip_and_sampler():
    gen = torch.Generator().manual_seed(3)
    tokens, labels = ct.sample_brc(4, 100, 0.4, gen)
    assert tokens.shape == labels.shape == (100, 16) and tokens.max() <= 3
    A, B = ct.brc_from_tokens(tokens, 4)
    assert torch.equal(ct.brc_tokens(A, B), tokens)
    assert torch.equal(ct.brc_labels(A, B).flatten(-2), labels)


def test_brc_bad_arguments():
    with pytest.raises(ValueError, match=r"^B must have shape"):
        ct.brc_labels(torch.zeros(3, 3), torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"^A must be square"):
        ct.brc_labels(torch.zeros(2, 3), torch.zeros(3, 3))
    with pytest.raises(ValueError, match=r"^density must be a number in \[0.0, 1.0\]"):
        ct.sample_brc(3, 4, 1.5, torch.Generator())


def test_token_alone_accuracy_is_a_baseline():
    gen = torch.Generator().manual_seed(4)
    base = ct.token_alone_accuracy("brc", 20_000, gen, m=3, density=0.4)
    _, labels = ct.task_batch("brc", (20_000,), gen, m=3, density=0.4)
    majority = max(labels.float().mean().item(), 1 - labels.float().mean().item())
    assert majority - 0.02 <= base <= 1.0
    with pytest.raises(ValueError, match=r"^task must be one of 'match3', 'brc'"):
        ct.token_alone_accuracy("comp", 10, gen, n=3)


def test_ind_batch_is_uniform_and_labelled_by_ind_task():
    gen = torch.Generator().manual_seed(0)
    tokens, labels = ct.task_batch("ind", (4000,), gen, n=5)
    assert tokens.shape == (4000, 6) and labels.dtype == torch.bool
    assert torch.equal(labels, ct.ind_task(tokens, 5))  # the sampler's labels are Ind_n's
    assert set(tokens[:, 0].tolist()) == set(range(5)) and abs(labels.float().mean().item() - 0.5) < 0.05
    shape = ct.task_shape("ind", n=5)
    assert shape == dict(length=6, vocab=5, out=1, readout="aux")  # one output, read at a fixed token
