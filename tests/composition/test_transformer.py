"""The theorem's model: shapes, sizes, the key identity, and bad inputs."""

import pytest
import torch

from attnlab.composition.transformer import SoftmaxTransformer


@pytest.mark.parametrize("readout", ["aux", -1])
def test_key_identity_matches_forward(readout):
    torch.manual_seed(0)
    model = SoftmaxTransformer(7, 3, 6, heads=2, mlp_width=5, out=2, readout=readout, models=3).double()
    w = torch.randint(0, 3, (40, 7))
    if readout != "aux":
        w[:, -1] = 1
    y = model(w)
    for A in ([0], [1, 3, 4], [0, 1, 2, 3, 4, 5]):
        for shift in (0.0, 3.0, "max"):
            parts = model.head_parts(w, A, shift=shift)
            rel = (model.output_from_parts(*parts) - y).abs().max() / y.abs().max()
            assert rel < 1e-10


def _resample(w, positions, vocab, gen):
    w2 = w.clone()
    w2[:, positions] = torch.randint(0, vocab, (w.shape[0], len(positions)), generator=gen)
    return w2


@pytest.mark.parametrize("readout", ["aux", -1])
def test_each_half_of_the_sums_depends_on_its_own_positions_only(readout):
    """With a constant shift, resampling w_B leaves (alpha, lambda) as computed, and vice versa."""
    torch.manual_seed(2)
    model = SoftmaxTransformer(8, 4, 6, heads=3, mlp_width=5, readout=readout, models=2).double()
    gen = torch.Generator().manual_seed(0)
    w = torch.randint(0, 4, (64, 8), generator=gen)
    free = 8 if readout == "aux" else 7  # the readout token's symbol stays fixed
    A, B = [0, 2, 3, 6], [j for j in range(free) if j not in (0, 2, 3, 6)]
    for shift in (0.0, -1.5):
        alpha, lam, gamma, mu, _ = model.head_parts(w, A, shift=shift)
        a2, l2, b2, m2, _ = model.head_parts(_resample(w, B, 4, gen), A, shift=shift)
        assert torch.equal(a2, alpha) and torch.equal(l2, lam)
        assert not torch.equal(b2, gamma)  # the resampled half did change
        a3, l3, b3, m3, _ = model.head_parts(_resample(w, A, 4, gen), A, shift=shift)
        assert torch.equal(b3, gamma) and torch.equal(m3, mu)
        assert not torch.equal(a3, alpha)


def test_max_shift_couples_the_halves_but_not_their_ratio():
    """The max-over-all-positions shift moves alpha with w_B; alpha / lambda stays put."""
    torch.manual_seed(3)
    model = SoftmaxTransformer(8, 4, 6, heads=2, readout="aux", init_std=1.0).double()
    gen = torch.Generator().manual_seed(1)
    w = torch.randint(0, 4, (64, 8), generator=gen)
    A, B = [0, 1, 2, 3], [4, 5, 6, 7]
    alpha, lam, *_ = model.head_parts(w, A, shift="max")
    a2, l2, *_ = model.head_parts(_resample(w, B, 4, gen), A, shift="max")
    assert (a2 - alpha).abs().max() > 1e-3 * alpha.abs().max()
    ratio = alpha / lam[..., None]
    assert (a2 / l2[..., None] - ratio).abs().max() < 1e-12 * ratio.abs().max()


def test_readout_fast_path_equals_full_attention():
    torch.manual_seed(1)
    model = SoftmaxTransformer(6, 4, 5, heads=3, mlp_width=4, layers=2, models=2).double()
    w = torch.randint(0, 4, (10, 6))
    x = model.embed_tokens(w)
    h0 = model._heads(x, 0, x)
    x = x + torch.einsum("sbnk,sdk->sbnd", h0, model.W_o[:, 0])
    full = model._heads(x, 1, x)[:, :, model.readout]
    assert torch.allclose(full, model._readout_heads(x, 1))


def test_sizes_and_width_masks():
    model = SoftmaxTransformer(5, 2, 4, heads=3, mlp_width=8, out=1, models=2, mlp_widths=[2, 8])
    assert model.mlp_params == 4 * 8 + 8 + 8 + 1
    assert model.size == max(3, 4, model.mlp_params)
    assert model.mlp_params_of(2) == 4 * 2 + 2 + 2 + 1
    assert model(torch.zeros(3, 5, dtype=torch.long)).shape == (2, 3, 1)


def test_bad_inputs_name_the_parameter():
    with pytest.raises(ValueError, match="d must"):
        SoftmaxTransformer(5, 2, 0)
    with pytest.raises(ValueError, match="mlp_width must"):
        SoftmaxTransformer(5, 2, 4, mlp_width=-1)
    model = SoftmaxTransformer(5, 2, 4)
    with pytest.raises(ValueError, match="A must"):
        model.head_parts(torch.zeros(2, 5, dtype=torch.long), [4])  # the readout token
    with pytest.raises(ValueError, match="A must"):
        model.head_parts(torch.zeros(2, 5, dtype=torch.long), [9])
    with pytest.raises(ValueError, match="shift must"):
        model.head_parts(torch.zeros(2, 5, dtype=torch.long), [0], shift="min")
    with pytest.raises(ValueError, match="shift must"):
        model.head_parts(torch.zeros(2, 5, dtype=torch.long), [0], shift=float("inf"))


@pytest.mark.parametrize("readout", ["aux", -1])
def test_identity_check_finds_the_identity_and_separated_halves(readout):
    from attnlab.composition.transformer import identity_check

    torch.manual_seed(0)
    model = SoftmaxTransformer(6, 3, 8, 2, 16, out=1, readout=readout, models=2).double()
    gen = torch.Generator().manual_seed(1)
    checks = [identity_check(model, 32, gen) for _ in range(4)]
    assert max(c["rel_err"] for c in checks) < 1e-12
    assert max(max(c["dep_A"], c["dep_B"]) for c in checks) < 1e-12  # each half its own positions
    assert max(c["dep_A_max"] for c in checks) > 1e-3  # the max shift couples the halves ...
    assert max(c["ratio_A_max"] for c in checks) < 1e-12  # ... but not their ratio
