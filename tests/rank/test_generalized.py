"""Generalised attention A_{H,r} and the width multiplier."""

import pytest
import torch

from attnlab.attention import LowRankAttention
from attnlab.rank.generalized import GeneralizedAttention, bilinear_scores, width_multiplied


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


def test_width_multiplier_is_average_of_copies():
    torch.manual_seed(1)
    d, r, H, c = 8, 2, 4, 3
    layer = width_multiplied(d, r, H, c, bias=True)
    assert layer.heads == c * H
    x = torch.randn(2, 5, d)
    # split the c*H heads into c modules of H heads and average their outputs
    copies = []
    for j in range(c):
        m = LowRankAttention(d, r, H, bias=True)
        sl = slice(j * H * r, (j + 1) * H * r)
        with torch.no_grad():
            for name in ("W_q", "W_k", "W_v"):
                getattr(m, name).weight.copy_(getattr(layer, name).weight[sl])
                getattr(m, name).bias.copy_(getattr(layer, name).bias[sl])
            m.W_o.weight.copy_(layer.W_o.weight[:, sl] * c)
            m.W_o.bias.copy_(layer.W_o.bias)
        copies.append(m(x))
    torch.testing.assert_close(layer(x), torch.stack(copies).mean(0))


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: GeneralizedAttention(4, rank=5), "rank"),
        (lambda: GeneralizedAttention(4, rank=2, heads=0), "heads"),
        (lambda: width_multiplied(4, 2, 2, c=0), "c"),
        (lambda: width_multiplied(4, 8, 1, c=1), "rank"),
        (lambda: width_multiplied(4, 2, 0, c=1), "heads"),
    ],
)
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()
