"""Neighbour tasks: labels against brute force, seeding, devices, baselines, bad input."""

import itertools

import pytest
import torch

from attnlab.rank.tasks import (
    biased_neighbor_biases,
    biased_neighbor_instances,
    biased_neighbor_target,
    farthest_neighbor,
    nearest_neighbor,
    orthogonal_pair,
    x_alone_baseline,
)
from attnlab.runtime.seeds import generator


def test_nearest_neighbor_matches_brute_force():
    batch = nearest_neighbor(64, 7, 5, seed=3)
    assert batch.x.shape == (64, 7, 5) and batch.y.shape == (64, 5) and batch.target.shape == (64, 5)
    torch.testing.assert_close(batch.x.norm(dim=-1), torch.ones(64, 7))
    for b in range(64):
        best = max(range(7), key=lambda i: float(batch.x[b, i] @ batch.y[b]))
        assert batch.index[b] == best
        torch.testing.assert_close(batch.target[b], batch.x[b, best])


def test_farthest_neighbor_matches_brute_force():
    batch = farthest_neighbor(16, 6, 4, seed=1)
    assert batch.y is None and batch.target.shape == (16, 6, 4)
    for b, i in itertools.product(range(16), range(6)):
        far = min(range(6), key=lambda j: float(batch.x[b, j] @ batch.x[b, i]))
        assert batch.index[b, i] == far
        torch.testing.assert_close(batch.target[b, i], batch.x[b, far])


def test_orthogonal_pair():
    batch = orthogonal_pair(128, 6, seed=2, dtype=torch.float64)
    inner = (batch.x[:, 0] * batch.x[:, 1]).sum(-1)
    assert inner.abs().max() < 1e-12
    torch.testing.assert_close(batch.x.norm(dim=-1), torch.ones(128, 2, dtype=torch.float64))
    s = torch.einsum("bnd,bd->bn", batch.x, batch.y)
    assert torch.equal(batch.index, s.argmax(-1))


def test_seeding_is_reproducible_and_generators_are_accepted():
    a = nearest_neighbor(8, 4, 3, seed=5)
    b = nearest_neighbor(8, 4, 3, seed=generator(5))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, nearest_neighbor(8, 4, 3, seed=6).x)


def test_x_alone_baseline():
    base = x_alone_baseline(16, 16, samples=20_000)
    assert 0.5 < base["mse"] < 1.0
    # more points: the farthest one is more anti-aligned, so x_i alone predicts it better
    assert (
        x_alone_baseline(64, 16, samples=5_000)["mse"]
        < base["mse"]
        < x_alone_baseline(4, 16, samples=20_000)["mse"]
    )


def test_x_alone_baseline_long_context_in_bounded_memory(monkeypatch):
    import attnlab.rank.tasks as tasks

    drawn = []
    real_sphere = tasks.sphere
    monkeypatch.setattr(tasks, "sphere", lambda B, *a, **k: drawn.append(B) or real_sphere(B, *a, **k))
    base = x_alone_baseline(4096, 4, samples=20)
    # a (chunk, N, N) float64 Gram matrix stays within 1 GiB: 8 instances of N = 4096 per chunk
    assert max(drawn) * 4096**2 * 8 <= 2**30 and sum(drawn) == 20
    assert 0.0 < base["mse"] < 1.0


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: nearest_neighbor(4, 1, 3), "N"),
        (lambda: farthest_neighbor(4, 1, 3), "N"),
        (lambda: nearest_neighbor(0, 3, 3), "batch"),
        (lambda: orthogonal_pair(4, 1), "d"),
        (lambda: x_alone_baseline(1, 4), "N"),
    ],
)
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_biased_neighbor_target_matches_brute_force():
    gen = generator(5)
    biases = biased_neighbor_biases(3, 0.5, gen)
    assert biases.shape == (19, 3) and biases.dtype == torch.float64
    torch.testing.assert_close(biases, biased_neighbor_biases(3, 0.5, 5))  # a seed or a generator
    batch = orthogonal_pair(40, 3, seed=gen, dtype=torch.float64)
    f = biased_neighbor_target(batch.x, batch.y, biases)
    for b in range(40):
        picks = [max(range(2), key=lambda i, v=v: float(batch.x[b, i] @ (batch.y[b] - v))) for v in biases]
        torch.testing.assert_close(f[b], sum(batch.x[b, i] for i in picks) / len(biases))
    assert float(f.norm(dim=-1).max()) <= 1 + 1e-12
    # zero biases: every term is the nearest neighbour itself
    torch.testing.assert_close(
        biased_neighbor_target(batch.x, batch.y, torch.zeros(5, 3, dtype=torch.float64)), batch.target
    )
    with pytest.raises(ValueError, match="scale"):
        biased_neighbor_biases(3, -1.0, gen)
    with pytest.raises(ValueError, match="d"):
        biased_neighbor_biases(0, 0.5, gen)
    with pytest.raises(ValueError, match="shapes"):
        biased_neighbor_target(batch.x, batch.y, biases[:, :2])


def test_biased_neighbor_instances():
    x, y = biased_neighbor_instances(500, 4, seed=3)
    assert x.shape == (500, 2, 4) and y.shape == (500, 4) and x.dtype == y.dtype == torch.float64
    assert (x[:, 0] * x[:, 1]).sum(-1).abs().max() < 1e-12  # orthogonal unit pairs
    torch.testing.assert_close(x.norm(dim=-1), torch.ones(500, 2, dtype=torch.float64))
    assert 3.0 < (y**2).sum(-1).mean() < 5.0  # Gaussian queries: E||y||^2 = d, not unit
    x2, y2 = biased_neighbor_instances(500, 4, seed=generator(3))
    assert torch.equal(x, x2) and torch.equal(y, y2)
    with pytest.raises(ValueError, match="batch"):
        biased_neighbor_instances(0, 4)
