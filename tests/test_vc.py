"""Split-VC values by brute force, the bounds, and bad inputs."""

import pytest
import torch

from attnlab import comp_tasks as ct
from attnlab.vc import (
    min_size_peng,
    min_size_vc,
    peng_error_bound,
    split_vc,
    truth_table,
    vc_dimension,
    vc_upper_bound,
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
