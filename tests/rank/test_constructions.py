"""The rank-versus-heads constructions compute their targets exactly."""

import pytest
import torch

from attnlab.rank import constructions as rc
from attnlab.rank import tasks
from attnlab.rank.theory import full_rank_construction_error


def test_full_rank_hardmax_head_is_the_nearest_neighbor():
    for N in (2, 16):
        batch = tasks.nearest_neighbor(500, N, 6, seed=N, dtype=torch.float64)
        head = rc.full_rank_head(6)
        assert head.W.dtype == torch.float64 and head.rank == 6
        assert torch.equal(head(batch.x, batch.y), batch.target)


def test_full_rank_softmax_head_matches_the_construction_error():
    d, N, beta = 5, 8, 30.0
    batch = tasks.nearest_neighbor(2000, N, d, seed=7, dtype=torch.float64)
    head = rc.full_rank_head(d, beta=beta, normalization="softmax")
    err = ((head(batch.x, batch.y) - batch.target) ** 2).sum(-1).mean().item()
    # the same samples as full_rank_construction_error draws from seed 7
    assert err == pytest.approx(full_rank_construction_error(beta, N, d, samples=2000, seed=7), rel=1e-9)


def test_biased_full_rank_layer_is_the_biased_target():
    for d in (3, 4):
        biases = tasks.biased_neighbor_biases(d, 0.5, seed=d)
        x, y = tasks.biased_neighbor_instances(400, d, seed=10 + d)
        layer = rc.biased_full_rank_layer(biases)
        assert layer.heads == 2 * d * d + 1
        torch.testing.assert_close(
            layer(x, y), tasks.biased_neighbor_target(x, y, biases), rtol=0, atol=1e-12
        )


def test_two_layer_vote_returns_the_majority():
    d, H = 6, 11
    gen = torch.Generator().manual_seed(0)
    qs = tasks.sphere(H, d=d, gen=gen, dtype=torch.float64)
    batch = tasks.orthogonal_pair(400, d, seed=gen, dtype=torch.float64)
    out = rc.TwoLayerVote(qs)(batch.x, batch.y)
    # head h votes for x_1 when <q_h, y><q_h, x_1 - x_2> > 0
    u = batch.x[:, 0] - batch.x[:, 1]
    votes = torch.sign((batch.y @ qs.T) * (u @ qs.T)).sum(-1)  # (B,) +: x_1 wins
    expected = torch.where(votes[:, None] > 0, batch.x[:, 0], batch.x[:, 1])
    assert torch.equal(out, expected)
    # one head: its own vote
    one = rc.TwoLayerVote(qs[:1])(batch.x, batch.y)
    single = torch.sign((batch.y @ qs[0]) * (u @ qs[0]))
    assert torch.equal(one, torch.where(single[:, None] > 0, batch.x[:, 0], batch.x[:, 1]))


def test_two_layer_vote_with_many_heads_beats_one():
    d = 8
    gen = torch.Generator().manual_seed(1)
    batch = tasks.orthogonal_pair(2000, d, seed=gen, dtype=torch.float64)
    errs = {}
    for H in (1, 301):
        qs = tasks.sphere(H, d=d, gen=gen, dtype=torch.float64)
        errs[H] = ((rc.TwoLayerVote(qs)(batch.x, batch.y) - batch.target) ** 2).sum(-1).mean().item()
    assert errs[301] < errs[1] / 2


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: rc.full_rank_head(0), "d"),
        (lambda: rc.full_rank_head(4, beta=0.0), "beta"),
        (lambda: rc.full_rank_head(4, normalization="sparsemax"), "normalization"),
        (lambda: rc.biased_full_rank_layer(torch.zeros(5)), "biases"),
        (lambda: rc.TwoLayerVote(torch.zeros(5)), "qs"),
        (lambda: rc.TwoLayerVote(torch.ones(4, 3)), "qs"),
        (lambda: rc.TwoLayerVote(torch.ones(3, 3))(torch.zeros(2, 3, 3), torch.zeros(2, 3)), "x"),
    ],
)
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()
