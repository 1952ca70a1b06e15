"""Triangular, third-order and masked Strassen attention: fast forms against the definitions."""

import pytest
import torch

from attnlab.composition import strassen as st
from attnlab.composition import third_order as to
from attnlab.composition import triangular as tr


def _rand(*shape, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


def _grid(m=5, r=3, dv=4, batch=(2, 3)):
    return [_rand(*batch, m, m, w, seed=i) for i, w in enumerate((r, r, dv, dv))]


def test_triangular_matches_definition():
    q, k, v1, v2 = _grid()
    torch.testing.assert_close(
        tr.triangular_attention(q, k, v1, v2, beta=0.7), tr.triangular_attention_naive(q, k, v1, v2, beta=0.7)
    )


def test_triangular_one_middle_element_is_the_product():
    q, k, v1, v2 = _grid(m=1)
    torch.testing.assert_close(tr.triangular_attention(q, k, v1, v2), v1 * v2)


def test_triangular_mask_matches_definition_and_smaller_grid():
    m, n = 6, 4
    q, k, v1, v2 = _grid(m=m)
    mask = torch.arange(m) < n
    fast = tr.triangular_attention(q, k, v1, v2, mask=mask)
    torch.testing.assert_close(fast, tr.triangular_attention_naive(q, k, v1, v2, mask=mask))
    small = tr.triangular_attention(*(t[..., :n, :n, :] for t in (q, k, v1, v2)))
    torch.testing.assert_close(fast[..., :n, :n, :], small)  # padding is invisible to real edges
    assert torch.isfinite(fast).all()  # padded edges still see real middle elements


def test_triangular_bad_arguments():
    q, k, v1, v2 = _grid()
    with pytest.raises(ValueError, match=r"^q must be a square grid"):
        tr.triangular_attention(q[..., :4, :, :], k, v1, v2)
    with pytest.raises(ValueError, match=r"^k must have shape"):
        tr.triangular_attention(q, k[..., :2], v1, v2)
    with pytest.raises(ValueError, match=r"^mask must be a bool"):
        tr.triangular_attention(q, k, v1, v2, mask=torch.ones(5))
    with pytest.raises(ValueError, match=r"^beta must be"):
        tr.triangular_attention(q, k, v1, v2, beta=-1.0)


def _qkv(N=4, T=6, r=3, dv=5, batch=(2,)):
    return [
        _rand(*batch, n, w, seed=i) for i, (n, w) in enumerate(((N, r), (T, r), (T, r), (T, dv), (T, dv)))
    ]


def test_third_order_matches_definition():
    q, k, kt, v, vt = _qkv()
    fast = to.third_order_attention(q, k, kt, v, vt, beta=0.5)
    torch.testing.assert_close(fast, to.third_order_attention_naive(q, k, kt, v, vt, beta=0.5))


def test_third_order_by_loops():
    q, k, kt, v, vt = (t[0] for t in _qkv(N=2, T=3))
    s = torch.tensor(
        [[[float((q[i] * k[j] * kt[l]).sum()) for l in range(3)] for j in range(3)] for i in range(2)]
    )
    a = s.flatten(1).softmax(-1).view(2, 3, 3).double()
    want = torch.stack([sum(a[i, j, l] * v[j] * vt[l] for j in range(3) for l in range(3)) for i in range(2)])
    torch.testing.assert_close(to.third_order_attention(q, k, kt, v, vt), want)


@pytest.mark.parametrize("form", ["third_order", "strassen"])
def test_pair_attention_masks(form):
    q, k, kt, v, vt = _qkv(T=7)
    n = 4
    mask = torch.arange(7) < n
    fast, naive = (
        (to.third_order_attention, to.third_order_attention_naive)
        if form == "third_order"
        else (st.strassen_attention, st.strassen_attention_naive)
    )
    got = fast(q, k, kt, v, vt, mask=mask)
    torch.testing.assert_close(got, naive(q, k, kt, v, vt, mask=mask))
    torch.testing.assert_close(got, fast(q, *(t[..., :n, :] for t in (k, kt, v, vt))))


def test_third_order_bad_arguments():
    q, k, kt, v, vt = _qkv()
    with pytest.raises(ValueError, match=r"^kt must have shape"):
        to.third_order_attention(q, k, kt[..., :2, :], v, vt)
    with pytest.raises(ValueError, match=r"^mask must be a bool"):
        to.third_order_attention(q, k, kt, v, vt, mask=torch.ones(6))


# -- the model with the new layers, masks, depth and dropout ----------------------------------------


@pytest.mark.parametrize("attention", st.ATTENTIONS)
@pytest.mark.parametrize("layers", [1, 2])
def test_padded_tokens_are_invisible(attention, layers):
    torch.manual_seed(0)
    model = st.StrassenTransformer(
        16, 3, d=4, heads=2, mlp_width=5, readout="all", models=2, attention=attention, layers=layers
    ).double()
    grid = torch.arange(4)
    real = (grid[:, None] < 3) & (grid[None, :] < 3)  # a 3 x 3 grid padded to 4 x 4
    mask = real.flatten().expand(5, 16)
    tokens = torch.randint(0, 3, (5, 16))
    other = torch.where(mask, tokens, (tokens + 1) % 3)  # the padded symbols changed
    y, y2 = model(tokens, mask), model(other, mask)
    torch.testing.assert_close(y[:, :, mask[0]], y2[:, :, mask[0]])
    assert not torch.allclose(model(tokens), model(other))


def test_one_layer_unchanged_by_depth_option():
    torch.manual_seed(3)
    one = st.StrassenTransformer(9, 3, d=4, mlp_width=5, readout="all")
    torch.manual_seed(3)
    two = st.StrassenTransformer(9, 3, d=4, mlp_width=5, readout="all", layers=2)
    for name, p in one.named_parameters():  # the first layer and the MLP start from the same numbers
        torch.testing.assert_close(p, getattr(two, name))
    assert {n for n, _ in two.named_parameters()} - {n for n, _ in one.named_parameters()} == {
        "W_f_1",
        "W_g_1",
        "W_h_1",
        "V_1_1",
        "V_2_1",
        "W_o_1",
    }


def test_dropout_only_in_training():
    model = st.StrassenTransformer(9, 3, d=4, mlp_width=5, readout="all", dropout=0.5)
    tokens = torch.randint(0, 3, (4, 9))
    model.eval()
    torch.testing.assert_close(model(tokens), model(tokens))
    model.train()
    assert not torch.allclose(model(tokens), model(tokens))


def test_model_new_arguments_checked():
    with pytest.raises(ValueError, match=r"^length must be a square"):
        st.StrassenTransformer(10, 3, 4, attention="triangular")
    with pytest.raises(ValueError, match=r"^layers must be"):
        st.StrassenTransformer(9, 3, 4, layers=0)
    with pytest.raises(ValueError, match=r"^dropout must be"):
        st.StrassenTransformer(9, 3, 4, dropout=1.0)
    with pytest.raises(ValueError, match=r"^mask must be a bool"):
        st.StrassenTransformer(9, 3, 4)(torch.zeros(2, 9, dtype=torch.long), torch.ones(2, 9))
