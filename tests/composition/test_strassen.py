"""Strassen attention: the fast form against the definition, the model, the tasks, the construction."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from attnlab.composition import strassen as st
from attnlab.composition import tasks as ct


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
        6, 7, d=8, heads=1, mlp_width=0, out=1, readout="all", models=2, attention=attention
    )
    assert m(torch.randint(0, 7, (5, 6))).shape == (2, 5, 6, 1)
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


# -- binary relation composition --------------------------------------------------------------------


def test_brc_labels_by_sets():
    gen = torch.Generator().manual_seed(1)
    for m in (1, 2, 3, 5):
        A = torch.rand(20, m, m, generator=gen) < 0.4
        B = torch.rand(20, m, m, generator=gen) < 0.4
        got = st.brc_labels(A, B)
        for b in range(20):
            pairs_a = {(i, k) for i in range(m) for k in range(m) if A[b, i, k]}
            pairs_b = {(k, j) for k in range(m) for j in range(m) if B[b, k, j]}
            comp = {(i, j) for (i, k) in pairs_a for (k2, j) in pairs_b if k == k2}
            want = torch.tensor([[(i, j) in comp for j in range(m)] for i in range(m)])
            assert torch.equal(got[b], want)


def test_brc_labels_examples_and_matrix_product():
    A = torch.tensor([[0, 1], [0, 0]])  # 0 -> 1
    B = torch.tensor([[0, 0], [1, 0]])  # 1 -> 0
    assert st.brc_labels(A, B).tolist() == [[True, False], [False, False]]  # 0 -> 1 -> 0
    assert st.brc_labels(B, A).tolist() == [[False, False], [False, True]]  # 1 -> 0 -> 1
    gen = torch.Generator().manual_seed(2)
    A = (torch.rand(50, 6, 6, generator=gen) < 0.3).long()
    B = (torch.rand(50, 6, 6, generator=gen) < 0.3).long()
    assert torch.equal(st.brc_labels(A, B), (A @ B) > 0)


def test_brc_tokens_round_trip_and_sampler():
    gen = torch.Generator().manual_seed(3)
    tokens, labels = st.sample_brc(4, 100, 0.4, gen)
    assert tokens.shape == labels.shape == (100, 16) and tokens.max() <= 3
    A, B = st.brc_from_tokens(tokens, 4)
    assert torch.equal(st.brc_tokens(A, B), tokens)
    assert torch.equal(st.brc_labels(A, B).flatten(-2), labels)


def test_brc_bad_arguments():
    with pytest.raises(ValueError, match=r"^B must have shape"):
        st.brc_labels(torch.zeros(3, 3), torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"^A must be square"):
        st.brc_labels(torch.zeros(2, 3), torch.zeros(3, 3))
    with pytest.raises(ValueError, match=r"^density must be a number in \[0.0, 1.0\]"):
        st.sample_brc(3, 4, 1.5, torch.Generator())


def test_token_alone_accuracy_is_a_baseline():
    gen = torch.Generator().manual_seed(4)
    base = st.token_alone_accuracy("brc", 20_000, gen, m=3, density=0.4)
    _, labels = st.task_batch("brc", (20_000,), gen, m=3, density=0.4)
    majority = max(labels.float().mean().item(), 1 - labels.float().mean().item())
    assert majority - 0.02 <= base <= 1.0
    with pytest.raises(ValueError, match=r"^task must be one of 'match3', 'brc'"):
        st.token_alone_accuracy("comp", 10, gen, n=3)


# -- the construction -------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3])
def test_construction_exact_on_every_input(n):
    model = st.comp_construction(n)
    err = st.construction_errors(model, ct.enumerate_comp(n), n)
    assert err.shape == (n ** (2 * n + 1),)
    assert err.max() < 1e-9


def test_construction_exact_on_random_inputs_and_constant_size():
    for n in (5, 16, 40):
        model = st.comp_construction(n)
        assert model.size == 12 and model.d == st.CONSTRUCTION_D and model.heads == 1
        err = st.construction_errors(model, ct.sample_comp(n, 500, seed=n), n)
        assert err.max() < 1e-6
    assert st.construction_scale(40) == pytest.approx(40 / (1 - math.cos(2 * math.pi / 40)))


def test_construction_attends_to_the_right_pair():
    n = 4
    model = st.comp_construction(n)
    tokens = ct.sample_comp(n, 64, seed=0)
    x = model.embed_tokens(tokens)[0]  # (B, T, d)
    proj = {k: x @ getattr(model, k)[0, 0].mT for k in ("W_f", "W_g", "W_h")}
    s = st.strassen_scores(proj["W_f"][:, -1:], proj["W_g"], proj["W_h"])[:, 0]  # (B, T, T)
    best = s.flatten(1).argmax(-1)
    gx = tokens.gather(1, tokens[:, -1:])[:, 0]
    assert torch.equal(best // (2 * n + 1), tokens[:, -1])  # j = x
    assert torch.equal(best % (2 * n + 1), n + gx)  # k = n + g(x)


def test_construction_bad_arguments():
    with pytest.raises(ValueError, match=r"^n must be an integer >= 2"):
        st.comp_construction(1)
    with pytest.raises(ValueError, match=r"^margin must be a number > 0"):
        st.comp_construction(4, margin=0.0)


# -- training ------------------------------------------------------------------------------------


def test_time_step_runs():
    for form in ("strassen", "naive", "softmax"):
        assert st.time_step(form, 6, d=4, batch=2, repeats=1) > 0
    with pytest.raises(ValueError, match=r"^form must be one of"):
        st.time_step("flash", 6)


def test_construction_errors_chunk_by_context_length_and_agree_with_one_chunk(monkeypatch):
    n = 16
    model, tokens = st.comp_construction(n), ct.sample_comp(n, 300, seed=0)
    whole = st.construction_errors(model, tokens, n, chunk=300)
    monkeypatch.setattr(st, "CHUNK_SCORES", 64 * (2 * n + 1) ** 2)  # 64 inputs a chunk
    torch.testing.assert_close(st.construction_errors(model, tokens, n), whole, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="chunk"):
        st.construction_errors(model, tokens, n, chunk=0)
