import math

import pytest
import torch

from attnlab import LowRankAttention, attend, hardmax, normalize


def test_shapes_self_and_cross_attention():
    layer = LowRankAttention(d=12, rank=3, heads=5)
    x = torch.randn(2, 7, 12)
    z = torch.randn(2, 9, 12)
    assert layer(x).shape == (2, 7, 12)
    out, w = layer(x, z, need_weights=True)
    assert out.shape == (2, 7, 12) and w.shape == (2, 5, 7, 9)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 5, 7))
    assert layer.scores(x, z).shape == (2, 5, 7, 9)
    assert layer.bilinear_forms().shape == (5, 12, 12)


def test_forward_matches_explicit_formula():
    torch.manual_seed(0)
    d, r, H, dv = 6, 2, 3, 4
    layer = LowRankAttention(d, rank=r, heads=H, value_dim=dv, beta=0.7).double()
    x = torch.randn(1, 5, d, dtype=torch.float64)
    Wq = layer.W_q.weight.view(H, r, d)
    Wk = layer.W_k.weight.view(H, r, d)
    Wv = layer.W_v.weight.view(H, dv, d)
    heads = []
    for h in range(H):
        s = 0.7 * (x[0] @ Wq[h].T) @ (x[0] @ Wk[h].T).T
        heads.append(s.softmax(-1) @ (x[0] @ Wv[h].T))
    expected = layer.W_o(torch.cat(heads, -1))
    torch.testing.assert_close(layer(x)[0], expected)
    # the fused path and the explicit-weights path agree
    torch.testing.assert_close(layer(x, need_weights=True)[0], layer(x))


@pytest.mark.parametrize("r", [1, 2, 5, 8])
def test_score_matrix_rank_is_at_most_r(r):
    torch.manual_seed(r)
    layer = LowRankAttention(8, rank=r, heads=2).double()
    x = torch.randn(3, 20, 8, dtype=torch.float64)
    ranks = torch.linalg.matrix_rank(layer.scores(x))
    assert int(ranks.max()) == r


def test_default_beta_is_inverse_sqrt_rank():
    assert LowRankAttention(16, rank=4).beta == pytest.approx(0.5)


def test_hardmax_is_limit_of_softmax_and_splits_ties():
    s = torch.tensor([[1.0, 3.0, 2.0], [2.0, 2.0, 0.0]])
    torch.testing.assert_close(hardmax(s), torch.tensor([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]]))
    torch.testing.assert_close((200 * s).softmax(-1), hardmax(s), atol=1e-6, rtol=0)
    torch.testing.assert_close(normalize(s, "hardmax"), hardmax(s))


def test_hardmax_layer_and_mask():
    layer = LowRankAttention(4, rank=4, heads=1, normalization="hardmax")
    x = torch.randn(2, 5, 4)
    _, w = layer(x, need_weights=True)
    assert torch.all((w == 0) | (w == 1))
    mask = torch.ones(5, 5, dtype=torch.bool).tril()
    q = k = v = torch.randn(2, 1, 5, 3)
    out, w = attend(q, k, v, beta=1.0, mask=mask, need_weights=True)
    assert torch.all(w.triu(1) == 0)
    fused, _ = attend(q, k, v, beta=1.0, mask=mask)
    torch.testing.assert_close(out, fused)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(d=0, rank=1), "d"),
        (dict(d=4, rank=5), "rank"),
        (dict(d=4, rank=0), "rank"),
        (dict(d=4, rank=2, heads=0), "heads"),
        (dict(d=4, rank=2, value_dim=0), "value_dim"),
        (dict(d=4, rank=2, beta=0.0), "beta"),
        (dict(d=4, rank=2, beta=math.inf), "beta"),
        (dict(d=4, rank=2, normalization="sparsemax"), "normalization"),
        (dict(d=4.5, rank=2), "d"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        LowRankAttention(**kwargs)


def test_wrong_tensor_shapes_name_the_argument():
    layer = LowRankAttention(4, rank=2)
    with pytest.raises(ValueError, match=r"^x must have shape \(B, N, 4\)"):
        layer(torch.randn(2, 3, 5))
    with pytest.raises(ValueError, match=r"^x must have shape"):
        layer(torch.randn(3, 4))
    with pytest.raises(ValueError, match=r"^context must have shape \(2, M, 4\)"):
        layer(torch.randn(2, 3, 4), torch.randn(1, 3, 4))
    with pytest.raises(ValueError, match=r"^x must be a torch.Tensor"):
        layer([[1.0]])
