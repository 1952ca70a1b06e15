"""Strassen attention: the fast form against the definition, and its one-layer model."""

from __future__ import annotations

import itertools

import pytest
import torch

from attnlab.composition import strassen as st


def _fghv(*lead, N=5, T=7, r=4, dv=6, dtype=torch.float64, seed=0, scale=1.0):
    gen = torch.Generator().manual_seed(seed)

    def rnd(*shape):
        return torch.randn(*shape, generator=gen, dtype=dtype) * scale

    return rnd(*lead, N, r), rnd(*lead, T, r), rnd(*lead, T, r), rnd(*lead, T, dv), rnd(*lead, T, dv)


def _loops(f, g, h, v, vt, beta):
    """The definition with Python loops over one sequence: f (N, r), g/h (T, r), v/vt (T, dv)."""
    N, T = f.shape[0], g.shape[0]
    out = torch.zeros(N, v.shape[1], dtype=f.dtype)
    for i in range(N):
        s = torch.tensor(
            [[beta * (f[i] @ g[j] + g[j] @ h[k] + h[k] @ f[i]).item() for k in range(T)] for j in range(T)],
            dtype=f.dtype,
        )
        w = torch.exp(s - s.max())
        w = w / w.sum()
        for j, k in itertools.product(range(T), range(T)):
            out[i] += w[j, k] * v[j] * vt[k]
    return out


def test_naive_matches_python_loops():
    f, g, h, v, vt = _fghv(N=3, T=4)
    ref = _loops(f, g, h, v, vt, beta=0.7)
    torch.testing.assert_close(st.strassen_attention_naive(f, g, h, v, vt, beta=0.7), ref)


@pytest.mark.parametrize("lead", [(), (3,), (2, 3)])
@pytest.mark.parametrize("N,T", [(1, 9), (5, 7), (8, 8)])
def test_fast_form_equals_naive(lead, N, T):
    f, g, h, v, vt = _fghv(*lead, N=N, T=T)
    fast = st.strassen_attention(f, g, h, v, vt, beta=0.5)
    assert fast.shape == (*lead, N, 6)
    torch.testing.assert_close(
        fast, st.strassen_attention_naive(f, g, h, v, vt, beta=0.5), rtol=1e-10, atol=1e-12
    )


def test_fast_form_broadcasts_and_is_stable_at_large_scores():
    f, g, h, v, vt = _fghv(3, N=4, T=6, scale=6.0)  # scores in the hundreds: exp would overflow unshifted
    fast = st.strassen_attention(f[:1], g, h, v, vt[:1], beta=1.0)  # batch 1 broadcasts against 3
    assert torch.isfinite(fast).all()
    torch.testing.assert_close(fast, st.strassen_attention_naive(f[:1], g, h, v, vt[:1], beta=1.0))


def test_fast_form_gradients_match_naive():
    args = [t.requires_grad_() for t in _fghv(2, N=3, T=5)]
    st.strassen_attention(*args, beta=0.8).sum().backward()
    fast_grads = [t.grad.clone() for t in args]
    for t in args:
        t.grad = None
    st.strassen_attention_naive(*args, beta=0.8).sum().backward()
    for a, b in zip(fast_grads, [t.grad for t in args], strict=True):
        torch.testing.assert_close(a, b)


def test_weights_are_a_distribution_over_pairs():
    f, g, h, _, _ = _fghv(N=3, T=5)
    ones = torch.ones(5, 1, dtype=torch.float64)
    torch.testing.assert_close(
        st.strassen_attention(f, g, h, ones, ones), torch.ones(3, 1, dtype=torch.float64)
    )
    # a value that is 1 only at (j, k) = (1, 2) returns that pair's weight
    e1, e2 = torch.zeros(5, 1, dtype=torch.float64), torch.zeros(5, 1, dtype=torch.float64)
    e1[1], e2[2] = 1.0, 1.0
    a = st.strassen_scores(f, g, h).flatten(-2).softmax(-1).view(3, 5, 5)
    torch.testing.assert_close(st.strassen_attention(f, g, h, e1, e2)[:, 0], a[:, 1, 2])


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda a: st.strassen_attention(a[0][..., :3], *a[1:]), r"^g must have shape"),
        (lambda a: st.strassen_attention(a[0], a[1], a[2][:4], a[3], a[4]), r"^h must have shape"),
        (lambda a: st.strassen_attention(*a[:3], a[3][:4], a[4]), r"^v must have shape"),
        (lambda a: st.strassen_attention(*a[:4], a[4][..., :2]), r"^vt must have shape"),
        (lambda a: st.strassen_attention(*a, beta=-1.0), r"^beta must be a number >= 0"),
        (lambda a: st.strassen_attention_naive(*a, beta=float("inf")), r"^beta must be a finite number"),
        (lambda a: st.strassen_attention([[1.0]], *a[1:]), r"^f must be a torch.Tensor"),
    ],
)
def test_bad_arguments_name_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call(_fghv())


def test_bad_batch_dimensions():
    f, g, h, v, vt = _fghv(2)
    with pytest.raises(ValueError, match=r"^f, g, h, v and vt must have broadcastable"):
        st.strassen_attention(torch.zeros(3, 5, 4, dtype=torch.float64), g, h, v, vt)


# -- the model ------------------------------------------------------------------------------------


@pytest.mark.parametrize("attention", st.ATTENTIONS)
def test_model_shapes(attention):
    m = st.StrassenTransformer(
        9, 4, d=8, heads=2, mlp_width=16, out=4, readout=8, models=3, attention=attention
    )
    assert m(torch.randint(0, 4, (5, 9))).shape == (3, 5, 4)
    assert m(torch.randint(0, 4, (3, 5, 9))).shape == (3, 5, 4)
    m = st.StrassenTransformer(
        4, 7, d=8, heads=1, mlp_width=0, out=1, readout="all", models=2, attention=attention
    )
    assert m(torch.randint(0, 7, (5, 4))).shape == (2, 5, 4, 1)
    assert m.size == max(1, 8, m.mlp_params) and m.mlp_params == 8 + 1


def test_model_readout_equals_all_positions():
    torch.manual_seed(0)
    full = st.StrassenTransformer(7, 3, d=4, heads=2, mlp_width=5, out=2, readout="all").double()
    one = st.StrassenTransformer(7, 3, d=4, heads=2, mlp_width=5, out=2, readout=3).double()
    one.load_state_dict(full.state_dict())
    tokens = torch.randint(0, 3, (10, 7))
    torch.testing.assert_close(one(tokens), full(tokens)[:, :, 3])


def test_model_bad_arguments():
    with pytest.raises(ValueError, match=r"^attention must be one of 'strassen', 'softmax'"):
        st.StrassenTransformer(5, 3, 4, attention="cubic")
    with pytest.raises(ValueError, match=r"^readout must be one of 'all'"):
        st.StrassenTransformer(5, 3, 4, readout="aux")
    with pytest.raises(ValueError, match=r"^readout must be an integer in \[-5, 4\]"):
        st.StrassenTransformer(5, 3, 4, readout=5)
    with pytest.raises(ValueError, match=r"^d must be an integer >= 1"):
        st.StrassenTransformer(5, 3, 0)
    m = st.StrassenTransformer(5, 3, 4, models=2)
    with pytest.raises(ValueError, match=r"^tokens must have shape"):
        m(torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"^tokens must have shape"):
        m(torch.zeros(3, 4, 5, dtype=torch.long))
