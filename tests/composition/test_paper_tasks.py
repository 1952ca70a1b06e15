"""The Strassen paper's four tasks: labels against brute force, masks, balance."""

import itertools

import pytest
import torch

from attnlab.composition import paper_tasks as pt

SMALL = {
    "fcomp": pt.PaperTaskSizes(3, 5),
    "brc": pt.PaperTaskSizes(2, 4, density=0.4),
    "match3": pt.PaperTaskSizes(3, 6, M=7),
    "qbrc": pt.PaperTaskSizes(2, 4, density=0.45),
}


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("task", pt.PAPER_TASKS)
def test_shapes_masks_and_padding(task):
    sizes = SMALL[task]
    tokens, mask, labels, labelled = pt.sample(task, 40, _gen(), sizes)
    T = pt.length(task, sizes)
    assert tokens.shape == mask.shape == labels.shape == labelled.shape == (40, T)
    pad = pt.pad_symbol(task, sizes)
    assert bool(((tokens == pad) == ~mask).all())  # padding exactly where the mask is off
    assert int(tokens.max()) < pt.vocab(task, sizes)
    assert not bool((labelled & ~mask).any()) and not bool((labels & ~labelled).any())


def test_fcomp_brute_force_and_balance():
    sizes = SMALL["fcomp"]
    tokens, mask, labels, labelled = pt.sample("fcomp", 400, _gen(1), sizes)
    assert (
        bool((tokens[:, 0] == sizes.high).all()) and bool(labelled[:, 0].all()) and int(labelled.sum()) == 400
    )
    for b in range(400):
        n = int(mask[b].sum()) - 1
        assert sizes.low <= n <= sizes.high
        f = tokens[b, 1 : n + 1].tolist()
        assert bool(labels[b, 0]) == (f[f[0]] == 0)
    assert 0.4 < labels[:, 0].float().mean().item() < 0.6


def test_brc_brute_force():
    sizes = SMALL["brc"]
    tokens, mask, labels, labelled = pt.sample("brc", 100, _gen(2), sizes)
    h = sizes.high
    for b in range(100):
        m = int(mask[b].view(h, h)[0].sum())
        R = tokens[b].view(h, h)[:m, :m]
        assert bool(mask[b].view(h, h)[:m, :m].all()) and int(mask[b].sum()) == m * m
        for i, j in itertools.product(range(m), repeat=2):
            want = any(R[i, k] == 1 and R[k, j] == 1 for k in range(m))
            assert bool(labels[b].view(h, h)[i, j]) == want


def test_qbrc_brute_force():
    sizes = SMALL["qbrc"]
    tokens, mask, labels, labelled = pt.sample("qbrc", 100, _gen(3), sizes)
    h = sizes.high
    for b in range(100):
        m = int(mask[b].view(h, h)[0].sum())
        grid = tokens[b].view(h, h)[:m, :m]
        R, col = grid % 2, grid[0] // 2  # token (i, k) carries R_ik + 2 col(k)
        assert bool((grid // 2 == col[None, :]).all()) and int(col.max()) < m
        for i, j in itertools.product(range(m), repeat=2):
            assert bool(labelled[b].view(h, h)[i, j]) == (i != j)
            if i == j:
                continue
            want = any(
                k1 != k2 and col[k1] == col[k2] and R[i, k1] == 1 and R[j, k2] == 1
                for k1, k2 in itertools.product(range(m), repeat=2)
            )
            assert bool(labels[b].view(h, h)[i, j]) == want


def test_match3_brute_force_and_bins():
    sizes = SMALL["match3"]
    tokens, mask, labels, labelled = pt.sample("match3", 80, _gen(4), sizes)
    for b in range(80):
        x = tokens[b][mask[b]].tolist()
        assert sizes.low <= len(x) <= sizes.high
        for i, xi in enumerate(x):
            want = any((xi + xj + xk) % sizes.M == 0 for xj in x for xk in x)
            assert bool(labels[b, i]) == want
    counts = torch.bincount(pt.match3_bin(labels, mask), minlength=4)
    assert counts.tolist() == [20, 20, 20, 20]


def test_paper_sizes_and_bad_arguments():
    assert pt.length("fcomp", pt.PAPER_SIZES["fcomp"]) == 31 and pt.length("brc", pt.PAPER_SIZES["brc"]) == 64
    assert (
        pt.length("match3", pt.PAPER_SIZES["match3"]) == 35
        and pt.vocab("match3", pt.PAPER_SIZES["match3"]) == 38
    )
    with pytest.raises(ValueError, match=r"^task must be one of"):
        pt.sample("comp", 3, _gen())
    with pytest.raises(ValueError, match=r"^count must be"):
        pt.sample("brc", 0, _gen())
    with pytest.raises(ValueError, match=r"^high must be"):
        pt.PaperTaskSizes(5, 4)
