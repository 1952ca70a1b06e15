"""Nearest- and farthest-neighbour tasks on the sphere (Amsel, Yehudai and Bruna 2024).

Three samplers, all seeded through a ``torch.Generator`` (or a seed) and placed on any device:

* :func:`nearest_neighbor`: points ``x_1..x_N`` and a separate query ``y``, all uniform on
  ``S^{d-1}``; the target is ``x_{argmax_i <x_i, y>}`` (the theory's target).
* :func:`farthest_neighbor`: self-attention over ``x_1..x_N``; the label at position ``i`` is
  ``x_{argmin_j <x_j, x_i>}`` (the experiments' target; the nearest neighbour of ``-x_i``).
* :func:`orthogonal_pair`: the ``N = 2`` distribution of the lower bound, ``x_1 ⊥ x_2`` and
  ``y`` uniform.

The biased-nearest-neighbour page uses a stand-in target of our own (the paper's exact one was
not available to us): :func:`biased_neighbor_biases` draws its ``m = 2 d^2 + 1`` fixed biases
``v_j``, :func:`biased_neighbor_instances` its instances (an orthogonal pair and a Gaussian
query) and :func:`biased_neighbor_target` computes ``f*(X, y) = mean_j x_{argmax_i <x_i, y - v_j>}``.

:func:`x_alone_baseline` is the trivial baseline the training pages compare with: the best
farthest-neighbour predictor that sees ``x_i`` alone. (The other one, the zero predictor, has
error exactly 1, because every target is a unit vector.)
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from attnlab._checks import check_int, check_tensor
from attnlab.runtime.seeds import generator

__all__ = [
    "NeighborBatch",
    "biased_neighbor_biases",
    "biased_neighbor_instances",
    "biased_neighbor_target",
    "farthest_neighbor",
    "nearest_neighbor",
    "orthogonal_pair",
    "sphere",
    "x_alone_baseline",
]


class NeighborBatch(NamedTuple):
    """A batch of a neighbour task. ``y`` is ``None`` for self-attention tasks."""

    x: torch.Tensor  # (B, N, d) the points
    y: torch.Tensor | None  # (B, d) the query, or None
    target: torch.Tensor  # (B, d) for a query, (B, N, d) for self-attention
    index: torch.Tensor  # (B,) or (B, N): which point is the target


def sphere(
    *shape: int,
    d: int,
    gen: torch.Generator,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Uniform samples on ``S^{d-1}``: normalised Gaussians of shape ``(*shape, d)`` on ``gen``'s device."""
    g = torch.randn(*shape, d, generator=gen, device=gen.device, dtype=dtype)
    return g / g.norm(dim=-1, keepdim=True)


def nearest_neighbor(
    batch: int,
    N: int,
    d: int,
    seed: int | torch.Generator = 0,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> NeighborBatch:
    """Points and a separate query uniform on the sphere; target ``x_{argmax_i <x_i, y>}``.

    Args:
        batch: number of independent instances ``B``.
        N: number of points per instance, ``N >= 2``.
        d: dimension, ``d >= 2``.
        seed: a seed or a ``torch.Generator`` (its device wins over ``device``).
        device, dtype: where and in which precision to sample.
    """
    batch, N, d = check_int("batch", batch, low=1), check_int("N", N, low=2), check_int("d", d, low=2)
    gen = generator(seed, device)
    x = sphere(batch, N, d=d, gen=gen, dtype=dtype)  # (B, N, d)
    y = sphere(batch, d=d, gen=gen, dtype=dtype)  # (B, d)
    index = torch.einsum("bnd,bd->bn", x, y).argmax(dim=-1)  # (B,)
    target = x[torch.arange(batch, device=x.device), index]  # (B, d)
    return NeighborBatch(x, y, target, index)


def farthest_neighbor(
    batch: int,
    N: int,
    d: int,
    seed: int | torch.Generator = 0,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> NeighborBatch:
    """Self-attention task: the label at position ``i`` is ``x_{argmin_j <x_j, x_i>}``.

    Arguments as in :func:`nearest_neighbor`. Returns ``target (B, N, d)``, ``index (B, N)``.
    """
    batch, N, d = check_int("batch", batch, low=1), check_int("N", N, low=2), check_int("d", d, low=2)
    gen = generator(seed, device)
    x = sphere(batch, N, d=d, gen=gen, dtype=dtype)  # (B, N, d)
    return NeighborBatch(x, None, *farthest_labels(x))


def farthest_labels(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Farthest-neighbour labels of point sets ``x (..., B, N, d)``: ``(target, index (..., B, N))``.

    ``x`` is a batch of point sets (at least 3-D): a single ``(N, d)`` set is refused, since it
    is ambiguous with a batch of ``N`` one-dimensional sets; pass ``x[None]``.
    """
    check_tensor("x", x, ("...", "B", "N", "d"))
    index = (x @ x.transpose(-1, -2)).argmin(dim=-1)  # (..., N): j minimising <x_j, x_i>
    target = torch.gather(x, -2, index.unsqueeze(-1).expand(*index.shape, x.shape[-1]))
    return target, index


def orthogonal_pair(
    batch: int,
    d: int,
    seed: int | torch.Generator = 0,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
) -> NeighborBatch:
    """The lower bound's ``N = 2`` distribution: ``x_1 ⊥ x_2`` (a uniformly random orthonormal
    pair), ``y`` uniform; target ``x_{argmax_i <x_i, y>}``."""
    batch, d = check_int("batch", batch, low=1), check_int("d", d, low=2)
    gen = generator(seed, device)
    g = torch.randn(batch, 2, d, generator=gen, device=gen.device, dtype=dtype)
    x1 = g[:, 0] / g[:, 0].norm(dim=-1, keepdim=True)
    x2 = g[:, 1] - (g[:, 1] * x1).sum(-1, keepdim=True) * x1  # Gram-Schmidt
    x2 = x2 / x2.norm(dim=-1, keepdim=True)
    x = torch.stack([x1, x2], dim=1)  # (B, 2, d)
    y = sphere(batch, d=d, gen=gen, dtype=dtype)  # (B, d)
    index = torch.einsum("bnd,bd->bn", x, y).argmax(dim=-1)
    target = x[torch.arange(batch, device=x.device), index]
    return NeighborBatch(x, y, target, index)


def x_alone_baseline(N: int, d: int, samples: int = 200_000, seed: int = 0) -> dict[str, float]:
    """The best farthest-neighbour predictor that sees only ``x_i`` (Monte Carlo).

    By rotational symmetry ``E[x_far | x_i] = -m x_i`` with ``m = E[-<x_far, x_i>]``, so the
    best such predictor is ``-m x_i`` and its error is ``1 - m^2``. Returns ``{"m", "mse",
    "stderr"}`` (``stderr`` of the error estimate).
    """
    N, d = check_int("N", N, low=2), check_int("d", d, low=2)
    gen = generator(seed)
    # instances per chunk: at most 20 000, and a (chunk, N, N) float64 Gram matrix of at most 1 GiB
    chunk, total = min(20_000, max(1, 2**27 // (N * N))), []
    for start in range(0, samples, chunk):
        x = sphere(min(chunk, samples - start), N, d=d, gen=gen, dtype=torch.float64)  # (B, N, d)
        total.append(-(x @ x.transpose(-1, -2)).amin(dim=-1).flatten())  # -<x_far, x_i>, (B*N,)
    inner = torch.cat(total)
    m = inner.mean().item()
    # error of -m x_i is 1 - 2 m E[-<x_far,x_i>] + m^2 = 1 - m^2. The N values of one instance are
    # correlated, so the standard error counts instances (len / N), not values.
    stderr = 2 * abs(m) * inner.std().item() / (len(inner) / N) ** 0.5
    return {"m": m, "mse": 1.0 - m * m, "stderr": stderr}


def biased_neighbor_biases(
    d: int, scale: float, seed: int | torch.Generator = 0, *, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """The ``m = 2 d^2 + 1`` fixed biases ``v_j ~ N(0, scale^2 I_d)`` of the biased target: ``(m, d)``.

    Drawn in float64 from ``seed`` (a seed, or a ``torch.Generator`` whose device wins over
    ``device``).
    """
    d = check_int("d", d, low=1)
    if not scale >= 0:
        raise ValueError(f"scale must be >= 0; got {scale!r}")
    gen = generator(seed, device)
    m = 2 * d * d + 1
    return scale * torch.randn(m, d, generator=gen, device=gen.device, dtype=torch.float64)


def biased_neighbor_instances(
    batch: int,
    d: int,
    seed: int | torch.Generator = 0,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float64,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Instances of the biased target: orthogonal pairs ``x (B, 2, d)`` (as in
    :func:`orthogonal_pair`) and Gaussian queries ``y ~ N(0, I_d)``, ``(B, d)``."""
    gen = generator(seed, device)
    x = orthogonal_pair(batch, d, seed=gen, dtype=dtype).x  # (B, 2, d)
    y = torch.randn(batch, d, generator=gen, device=gen.device, dtype=dtype)  # (B, d)
    return x, y


def biased_neighbor_target(x: torch.Tensor, y: torch.Tensor, biases: torch.Tensor) -> torch.Tensor:
    """``f*(X, y) = (1/m) sum_j x_{argmax_i <x_i, y - v_j>}`` for points ``x (B, N, d)``, queries
    ``y (B, d)`` and biases ``v (m, d)``: ``(B, d)``. Each term is one biased nearest neighbour
    (the bias inside the score); the mean keeps ``f*`` in the unit ball for unit points."""
    B, N, d = x.shape
    if y.shape != (B, d) or biases.ndim != 2 or biases.shape[1] != d:
        raise ValueError(
            f"shapes must be x (B, N, d), y (B, d), biases (m, d); got {x.shape}, {y.shape}, {biases.shape}"
        )
    scores = torch.einsum("bnd,bjd->bjn", x, y[:, None, :] - biases[None])  # (B, m, N)
    pick = torch.nn.functional.one_hot(scores.argmax(-1), N).to(x.dtype)  # (B, m, N)
    return torch.einsum("bjn,bnd->bd", pick, x) / biases.shape[0]
