"""The small-head attention paths compute what the fused kernel computes, values and gradients."""

import pytest
import torch

from attnlab.rank.encoder import BatchedEncoder
from attnlab.rank.small_heads import PATHS, SmallHeadAttention, attend, attention_path


def _grads(model: BatchedEncoder, x: torch.Tensor, path: str | None):
    model.path = path
    model.zero_grad(set_to_none=True)
    y = model(x)
    (y * torch.linspace(-1, 1, y.numel()).view_as(y)).sum().backward()
    return y.detach(), {n: p.grad.clone() for n, p in model.named_parameters()}


@pytest.mark.parametrize("c", [1, 8])
@pytest.mark.parametrize("path", ["small", "padded"])
def test_paths_equal_fused_on_mixed_rank_models(c, path):
    d = 8
    model = BatchedEncoder(d, 6, ranks=(1, 2, 4, d, 1), seeds=(0, 1, 2, 3, 4), c=c, ff=16, layers=2)
    x = torch.randn(5, 3, 6, d, generator=torch.Generator().manual_seed(0))
    y0, g0 = _grads(model, x, "fused")
    y1, g1 = _grads(model, x, path)
    torch.testing.assert_close(y1, y0, rtol=1e-5, atol=1e-6)
    for name in g0:
        torch.testing.assert_close(g1[name], g0[name], rtol=1e-4, atol=1e-6, msg=name)


def test_small_heads_blocks_over_sequences_and_queries(monkeypatch):
    """Blocks smaller than a sequence (a few queries at a time) give the same values and gradients."""
    gen = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(3, 5, 2 * 6, generator=gen, requires_grad=True) for _ in range(3))
    g = torch.randn(3, 5, 12, generator=gen)
    ref = torch.autograd.grad(attend(q, k, v, 2, "fused"), (q, k, v), g)
    monkeypatch.setattr(SmallHeadAttention, "WORKSPACE", 2 * 5 * 6)  # two queries of one sequence
    assert SmallHeadAttention.blocks(3, 5, 6) == (1, 2)
    out = torch.autograd.grad(attend(q, k, v, 2, "small"), (q, k, v), g)
    for a, b in zip(out, ref, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_small_heads_keep_less_than_the_fused_kernel():
    """At r = 1 the small-head path keeps q, k, v and the out-projection's input, no probabilities,
    no output copy and no log-sum-exp: less than the fused kernel, and no more than at r = 64."""
    from attnlab.rank.memory import kept_per_sequence

    cpu = torch.device("cpu")
    kept = {}
    for r, path in ((1, "small"), (1, "fused"), (64, "fused")):
        model = BatchedEncoder(64, 32, ranks=(r,), seeds=(0,), c=8, ff=64)
        model.path = path
        kept[r, path] = kept_per_sequence(model, cpu)
    assert attention_path(1, 4096, 16, cpu) == "small"
    assert kept[1, "small"] < kept[1, "fused"]
    assert kept[1, "small"] <= kept[64, "fused"]


def test_path_choice_and_bad_path():
    assert attention_path(64, 64, 16, torch.device("cpu")) == "fused"
    assert attention_path(1, 64, 16, torch.device("cpu")) == "fused"  # few heads: fused is as fast
    assert attention_path(1, 4096, 16, torch.device("cpu")) == "small"
    assert attention_path(1, 4096, 256, torch.device("cpu")) == "fused"  # long: fused is faster
    assert attention_path(1, 16, 16, torch.device("cuda")) == "padded"
    assert attention_path(16, 4, 16, torch.device("cuda")) == "fused"
    assert set(PATHS) == {"fused", "small", "padded"}
    q = torch.zeros(1, 2, 4)
    with pytest.raises(ValueError, match="path"):
        attend(q, q, q, 2, "nope")


def test_small_heads_deterministic():
    model = BatchedEncoder(8, 6, ranks=(1, 2), seeds=(0, 1), c=4, ff=16)
    x = torch.randn(2, 4, 6, 8, generator=torch.Generator().manual_seed(2))
    a, ga = _grads(model, x, None)
    b, gb = _grads(model, x, None)
    assert torch.equal(a, b) and all(torch.equal(ga[n], gb[n]) for n in ga)
