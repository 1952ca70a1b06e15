"""The theorem's model: shapes, sizes, the key identity, and bad inputs."""

import pytest
import torch

from attnlab.one_layer import SoftmaxTransformer


@pytest.mark.parametrize("readout", ["aux", -1])
def test_key_identity_matches_forward(readout):
    torch.manual_seed(0)
    model = SoftmaxTransformer(7, 3, 6, heads=2, mlp_width=5, out=2, readout=readout, models=3).double()
    w = torch.randint(0, 3, (40, 7))
    if readout != "aux":
        w[:, -1] = 1
    y = model(w)
    for A in ([0], [1, 3, 4], [0, 1, 2, 3, 4, 5]):
        parts = model.head_parts(w, A)
        rel = (model.output_from_parts(*parts) - y).abs().max() / y.abs().max()
        assert rel < 1e-10


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
