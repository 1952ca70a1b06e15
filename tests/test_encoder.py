"""The batched encoder: shapes, positional encodings, equivalence with separate models, bad input."""

import pytest
import torch

from attnlab.encoder import BatchedEncoder, unit_norm


def test_shapes_and_positional_encodings():
    x = torch.randn(3, 5, 6, 8)
    for pos in ("none", "additive", "concatenated"):
        model = BatchedEncoder(8, 6, ranks=(8, 4, 2), seeds=(0, 1, 2), layers=2, c=2, ff=16, positional=pos)
        out = model(x)
        assert out.shape == (3, 5, 6, 8)
        if pos != "concatenated":  # post-norm output has norm s = 1 at init
            torch.testing.assert_close(out.norm(dim=-1), torch.ones(3, 5, 6))
    model = BatchedEncoder(8, 6, ranks=(4,), seeds=(0,), positional="concatenated", pos_dim=8)
    assert model.D == 16 and model.pos.shape == (1, 6, 8)


def test_batched_models_equal_separate_models():
    x = torch.randn(4, 7, 8)
    ranks, seeds = (8, 2, 4), (3, 4, 5)
    batched = BatchedEncoder(8, 7, ranks, seeds, layers=2, c=2, ff=16)
    out = batched(x.expand(3, -1, -1, -1))
    for k, (r, s) in enumerate(zip(ranks, seeds, strict=True)):
        alone = BatchedEncoder(8, 7, (r,), (s,), layers=2, c=2, ff=16)
        for name, p in alone.named_parameters():
            torch.testing.assert_close(p[:, 0] if name != "pos" else p[0], getattr(batched, name)[:, k])
        torch.testing.assert_close(alone(x[None])[0], out[k], rtol=1e-5, atol=1e-6)


def test_single_head_qk_form_and_parameter_count():
    model = BatchedEncoder(8, 4, (8, 2), (0, 1), c=1)
    forms = model.qk_forms(0)
    assert forms[0].shape == (1, 8, 8) and forms[1].shape == (4, 8, 8)
    assert torch.linalg.matrix_rank(forms[1]).max() <= 2
    assert model.attention_parameters() == 4 * 64 + 3 * 8 + 8


def test_unit_norm():
    x = torch.randn(2, 3, 4)
    torch.testing.assert_close(
        unit_norm(x, torch.tensor([2.0, 3.0])).norm(dim=-1), torch.tensor([[2.0] * 3, [3.0] * 3])
    )


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(d=4, N=4, ranks=(8,), seeds=(0,)), "rank"),
        (dict(d=4, N=4, ranks=(3,), seeds=(0,)), "rank"),
        (dict(d=4, N=1, ranks=(4,), seeds=(0,)), "N"),
        (dict(d=4, N=4, ranks=(4,), seeds=(0,), c=0), "c"),
        (dict(d=4, N=4, ranks=(4,), seeds=(0,), layers=0), "layers"),
        (dict(d=4, N=4, ranks=(4,), seeds=(0,), positional="rope"), "positional"),
        (dict(d=4, N=4, ranks=(4, 2), seeds=(0,)), "ranks and seeds"),
    ],
)
def test_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        BatchedEncoder(**kwargs)
