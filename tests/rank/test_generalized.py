"""Generalised attention A_{H,r} and its score maps."""

import pytest
import torch

from attnlab.rank.generalized import GeneralizedAttention, biased_scores, bilinear_scores


def test_generalized_hardmax_full_rank_is_nearest_neighbor():
    torch.manual_seed(0)
    d, N = 6, 5
    layer = GeneralizedAttention(d, rank=d, heads=1, normalization="hardmax")
    with torch.no_grad():
        layer.W.copy_(torch.eye(d)[None])
        layer.M.copy_(torch.eye(d)[None])
    x = torch.nn.functional.normalize(torch.randn(32, N, d), dim=-1)
    y = torch.nn.functional.normalize(torch.randn(32, d), dim=-1)
    out, p = layer(x, y, need_weights=True)
    idx = torch.einsum("bnd,bd->bn", x, y).argmax(-1)
    torch.testing.assert_close(out, x[torch.arange(32), idx])
    assert p.shape == (32, 1, N)


def test_generalized_accepts_any_score_map():
    d = 4
    mlp = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    score = lambda px, py: mlp(torch.cat([px, py[:, :, None].expand_as(px)], -1)).squeeze(-1)
    layer = GeneralizedAttention(d, rank=1, heads=3, score=score)
    out = layer(torch.randn(5, 7, d), torch.randn(5, d))
    assert out.shape == (5, d)
    assert bilinear_scores(2.0)(torch.ones(1, 1, 3, 2), torch.ones(1, 1, 2)).shape == (1, 1, 3)


def test_biased_scores_put_the_bias_inside_the_query():
    px, py, v = torch.randn(2, 3, 5, 4), torch.randn(2, 3, 4), torch.randn(3, 4)
    torch.testing.assert_close(biased_scores(v)(px, py), bilinear_scores(1.0)(px, py - v[None]))
    torch.testing.assert_close(biased_scores(torch.zeros(3, 4))(px, py), bilinear_scores(1.0)(px, py))


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: GeneralizedAttention(4, rank=5), "rank"),
        (lambda: GeneralizedAttention(4, rank=2, heads=0), "heads"),
        (lambda: biased_scores(torch.zeros(3)), "biases"),
    ],
)
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()
