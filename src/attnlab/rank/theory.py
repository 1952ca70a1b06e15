"""The theory of rank versus heads as computations (Amsel, Yehudai and Bruna 2024).

* :func:`full_rank_construction_error`: one head with ``W_QK = +-beta I``, ``W_V = W_O = I``
  approximates the nearest (``+``) or farthest (``-``) neighbour; its error as a function of
  ``beta`` and ``N`` (Monte Carlo), exact in the hardmax limit (the head itself, as a module, is
  :func:`attnlab.rank.constructions.full_rank_head`); :func:`step_ratios` of its errors.
* Random rank-1 features on the ``N = 2`` orthogonal distribution: head ``h = (q_h, k_h)`` picks
  ``x_1`` when ``<q_h, y><k_h, x_1 - x_2> > 0``. With ``u = x_1 - x_2`` and the sign
  ``s_h = sign(<q_h, y><k_h, u>)``, its output is ``(x_1 + x_2)/2 + s_h u / 2`` and the target
  is the same with ``t = sign(<y, u>)``. Because ``x_1 ⊥ x_2`` are unit vectors,

      C_hh' = E<out_h, out_h'> = 1/2 + (2/pi^2) arcsin<q_h, q_h'> arcsin<k_h, k_h'>,
      b_h   = E<f, out_h>      = 1/2 + (1/pi) g_d(<q_h, k_h>),
      g_d(rho) = E_u[ arcsin<q, u> sign<k, u> ]   (u uniform on S^{d-1}, <q, k> = rho),

  (:func:`feature_gram`, :func:`feature_target`), and the best output weights ``a = C^-1 b``
  leave the error ``1 - b^T C^-1 b`` (:func:`random_features_mse`; heads from
  :func:`random_rank1_heads`). ``g_d`` follows from
  ``E_y[sign<y,u> sign<q,y>] = (2/pi) arcsin<q,u>`` and is integrated numerically over the
  two-dimensional marginal of ``u`` (density ``∝ (1 - a^2 - b^2)^{(d-4)/2}`` on the disc).
* :func:`rank1_features`, :func:`fitted_output_error`: the same heads with a bias inside the
  score, and the test error of least-squares output weights (the biased-nearest-neighbour page).
* :func:`vote_probability`: a random rank-1 head with ``q = k`` uniform votes for the right
  point with probability ``1 - arccos(|cos theta|)/pi``, ``theta`` the angle between ``y``
  and ``x_1 - x_2`` (:func:`binned_vote_agreement` checks it on samples);
  :func:`majority_vote_error` is the error of a majority of ``H`` such votes.
* :func:`heads_lower_bound`: the shapes of the two regimes of the lower bound on ``H``.
* :func:`gegenbauer_energy`: the spherical-harmonic energy of the ``N = 2`` target along
  ``y``, degree by degree (the quantity the lower bound's proof controls).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import torch
from scipy import integrate, special

from attnlab._checks import check_float, check_int, check_tensor
from attnlab.rank.tasks import farthest_labels, orthogonal_pair, sphere
from attnlab.runtime.seeds import generator

__all__ = [
    "binned_vote_agreement",
    "energy_fraction_mc",
    "feature_gram",
    "feature_target",
    "fitted_output_error",
    "full_rank_construction_error",
    "full_rank_error_estimate",
    "g_d",
    "gegenbauer_energy",
    "harmonic_lower_bound",
    "heads_lower_bound",
    "heads_needed",
    "log_axis_error_bars",
    "majority_vote_error",
    "near_tie_constant",
    "plurality_vote_error",
    "random_features_mse",
    "random_features_mse_mc",
    "random_rank1_heads",
    "rank1_features",
    "rank_fraction",
    "step_ratios",
    "vote_probability",
]


# -- the full-rank construction ---------------------------------------------------------------


def full_rank_construction_error(
    beta: float | Sequence[float],
    N: int,
    d: int,
    *,
    task: str = "nearest",
    samples: int = 20_000,
    seed: int = 0,
    device: torch.device | str = "cpu",
    stderr: bool = False,
) -> float | np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Mean ``||f - A||^2`` of one head with ``W_QK = beta I`` (nearest) or ``-beta I`` (farthest).

    ``W_V = W_O = I``, softmax attention: ``A = sum_j softmax_j(+-beta <x_j, z>) x_j`` with
    ``z = y`` (nearest, separate query) or ``z = x_i`` (farthest, self-attention).

    Args:
        beta: inverse temperature ``> 0``, or a sequence of them (evaluated on the same samples;
            an array of errors is returned).
        N: number of points ``>= 2``; d: dimension ``>= 2``.
        task: ``"nearest"`` or ``"farthest"``.
        samples: Monte-Carlo targets (queries; for ``"farthest"``, ``ceil(samples / N)``
            sequences of ``N`` points each); seed, device: where the samples come from.
        stderr: also return the standard error of each mean (spread of the per-sample errors
            over the square root of their number; for ``"farthest"`` the points of one sequence
            are counted as independent samples): ``(means, standard errors)``, arrays over ``beta``.

    Plain Monte Carlo: at large ``beta`` the error comes from rare near-ties and the estimate is
    noisy; :func:`full_rank_error_estimate` integrates them out.
    """
    betas = [check_float("beta", b, low=0.0, strict_low=True) for b in np.atleast_1d(beta)]
    N, d = check_int("N", N, low=2), check_int("d", d, low=2)
    gen = generator(seed, device)
    if task == "nearest":
        x = sphere(samples, N, d=d, gen=gen, dtype=torch.float64)  # (B, N, d)
        y = sphere(samples, d=d, gen=gen, dtype=torch.float64)  # (B, d)
        s = torch.einsum("bnd,bd->bn", x, y)  # (B, N)
        target = x[torch.arange(samples, device=x.device), s.argmax(-1)]  # (B, d)
        outs = (torch.einsum("bn,bnd->bd", (b * s).softmax(-1), x) for b in betas)
    elif task == "farthest":
        x = sphere(-(-samples // N), N, d=d, gen=gen, dtype=torch.float64)  # (B, N, d)
        s = x @ x.transpose(-1, -2)  # (B, N, N)
        target, _ = farthest_labels(x)  # (B, N, d)
        outs = ((-b * s).softmax(-1) @ x for b in betas)
    else:
        raise ValueError(f"task must be one of 'nearest', 'farthest'; got {task!r}")
    per_sample = [((out - target) ** 2).sum(-1).flatten() for out in outs]
    errs = np.array([e.mean().item() for e in per_sample])
    if stderr:
        se = np.array([e.std().item() / math.sqrt(e.numel()) for e in per_sample])
        return errs, se
    return errs if np.ndim(beta) else float(errs[0])


def _sphere_score_density(s: np.ndarray, d: int) -> np.ndarray:
    """Density of ``<x, y>`` for a uniform unit ``x`` and a fixed unit ``y`` in ``R^d``."""
    return cos_theta_density(s, d)


def _sphere_score_cdf(s: np.ndarray, d: int) -> np.ndarray:
    """Distribution function of ``<x, y>`` (``(1 + s)/2`` is Beta((d-1)/2, (d-1)/2))."""
    a = (d - 1) / 2
    return special.betainc(a, a, np.clip((1 + np.asarray(s, dtype=float)) / 2, 0.0, 1.0))


def _error_given_scores(
    beta: float, s1: np.ndarray, s2: np.ndarray, rest: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> np.ndarray:
    """``E_v ||A - x_top||^2`` given the scores: top ``s1``, second ``s2`` and the rest's sums.

    ``rest = (Z, M, Q)`` are, per instance, ``sum_i e^{beta (s_i - s1)}``, ``sum_i e^{beta (s_i -
    s1)} s_i`` and ``sum_i e^{2 beta (s_i - s1)} (1 - s_i^2)`` over the points below the top two.
    """
    Z, M, Q = rest
    e2 = np.exp(beta * (s2 - s1))
    norm = 1.0 + e2 + Z
    mean_s = (s1 + e2 * s2 + M) / norm
    w1 = 1.0 / norm
    return (mean_s - s1) ** 2 + (w1 - 1) ** 2 * (1 - s1**2) + (e2 / norm) ** 2 * (1 - s2**2) + Q / norm**2


def full_rank_error_estimate(
    beta: float | Sequence[float],
    N: int,
    d: int,
    *,
    task: str = "nearest",
    samples: int = 20_000,
    seed: int = 0,
    nodes: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``||f - A||^2`` of the full-rank head (as :func:`full_rank_construction_error`) and its
    standard error, estimated with little variance at every ``beta``, large ones included.

    At large ``beta`` the error comes only from near-ties between the best and second-best score,
    so plain Monte Carlo sees almost none of it. Two exact steps remove that noise.

    * Only scores are sampled. With the query along ``e_1``, a uniform point is ``x_i = s_i e_1 +
      sqrt(1 - s_i^2) v_i`` with ``v_i`` uniform on the unit sphere of ``e_1``'s complement and
      independent of ``s_i``; the cross terms ``<v_i, v_j>`` average to 0, so given the scores the
      error is ``(sum_i w_i s_i - s_top)^2 + sum_i (w_i - [i = top])^2 (1 - s_i^2)``
      (``w = softmax(beta s)``).
    * The second-best score is integrated out. Given the other order statistics it is distributed
      as the score density restricted to ``(s_(3), s_(1))`` (``s_(3) = -1`` when there is none), so
      the error is integrated over the gap ``g = s_(1) - s_(2)`` by Gauss-Legendre quadrature in
      ``log g`` (``nodes`` nodes on ``g / (s_(1) - s_(3)) in [1e-12, 1]``), which resolves every
      near-tie whatever ``beta``.

    ``"farthest"`` is the same computation for the query ``-x_i``: ``N - 1`` uniform points plus
    ``x_i`` itself at score ``-1`` (no part orthogonal to the query). With ``N = 2`` that leaves one
    uniform point, and nothing to integrate.

    Returns ``(mean, standard error)`` as arrays over ``beta`` (the standard error is the spread of
    the per-instance conditional errors over ``sqrt(samples)``).
    """
    betas = np.array([check_float("beta", b, low=0.0, strict_low=True) for b in np.atleast_1d(beta)])
    N, d = check_int("N", N, low=2), check_int("d", d, low=3)
    samples, nodes = check_int("samples", samples, low=2), check_int("nodes", nodes, low=2)
    if task not in ("nearest", "farthest"):
        raise ValueError(f"task must be one of 'nearest', 'farthest'; got {task!r}")
    n = N if task == "nearest" else N - 1  # uniform points
    rng = np.random.default_rng(seed)
    a = (d - 1) / 2
    s = -np.sort(-(2 * rng.beta(a, a, size=(samples, n)) - 1), axis=1)  # scores, descending
    fixed = np.full((samples, 1 if task == "farthest" else 0), -1.0)  # x_i itself (farthest)
    s1 = s[:, 0]
    if n == 1:  # farthest, N = 2: the runner-up is x_i itself
        s2, below, lo = fixed[:, 0], fixed[:, :0], None
    else:
        s2, below = s[:, 1], np.concatenate([s[:, 2:], fixed], axis=1)
        lo = s[:, 2] if n > 2 else np.full(samples, -1.0)
    out = np.empty((len(betas), samples))
    if lo is not None:
        t, tw = special.roots_legendre(nodes)
        log_min = math.log(1e-12)
        u = np.exp(log_min * (1 - t) / 2)  # gap fraction in [1e-12, 1], nodes in log space
        du = tw * (-log_min / 2) * u  # d(gap fraction) weights
        span = s1 - lo  # (B,)
        gaps = span[:, None] * u[None, :]  # (B, nodes)
        density = _sphere_score_density(s1[:, None] - gaps, d)
        mass = _sphere_score_cdf(s1, d) - _sphere_score_cdf(lo, d)
        weight = density * span[:, None] * du[None, :] / mass[:, None]  # sums to ~1 per instance
    for j, b in enumerate(betas):
        e = np.exp(b * (below - s1[:, None]))
        rest = (e.sum(1), (e * below).sum(1), (e**2 * (1 - below**2)).sum(1))
        if lo is None:
            out[j] = _error_given_scores(b, s1, s2, rest)
        else:
            rest_b = tuple(r[:, None] for r in rest)
            err = _error_given_scores(b, s1[:, None], s1[:, None] - gaps, rest_b)  # (B, nodes)
            out[j] = (err * weight).sum(1)
    return out.mean(1), out.std(1, ddof=1) / math.sqrt(samples)


def log_axis_error_bars(values: np.ndarray, halfwidths: np.ndarray) -> np.ndarray:
    """Error bars ``(2, n)`` for a log axis: the lower half cut at 90% of the value (never ``<= 0``)."""
    values, halfwidths = np.asarray(values, dtype=float), np.asarray(halfwidths, dtype=float)
    return np.stack([np.minimum(halfwidths, 0.9 * values), halfwidths])


def near_tie_constant(N: int, d: int, *, samples: int = 20_000, seed: int = 0) -> tuple[float, float]:
    """``C(N) = lim beta * error`` of the full-rank nearest-neighbour head, and its standard error.

    At large ``beta`` only the top two points matter: with gap ``g`` the runner-up's weight is
    ``sigma(-beta g)`` and the error ``sigma(-beta g)^2 (2 - s_(1)^2 - s_(2)^2)``. Integrating over
    a gap density ``p(0)`` near 0, with ``int_0^inf sigma(-t)^2 dt = ln 2 - 1/2``:

        C(N) = (ln 2 - 1/2) E[ 2 (1 - s_(1)^2) f(s_(1)) / (F(s_(1)) - F(s_(3))) ],

    ``f, F`` the density and distribution of one score (``s_(3) = -1`` for ``N = 2``). It is
    computed from sampled scores, independently of the error itself.
    """
    N, d = check_int("N", N, low=2), check_int("d", d, low=3)
    samples = check_int("samples", samples, low=2)
    rng = np.random.default_rng(seed)
    a = (d - 1) / 2
    s = -np.sort(-(2 * rng.beta(a, a, size=(samples, N)) - 1), axis=1)
    lo = s[:, 2] if N > 2 else np.full(samples, -1.0)
    mass = _sphere_score_cdf(s[:, 0], d) - _sphere_score_cdf(lo, d)
    v = (math.log(2) - 0.5) * 2 * (1 - s[:, 0] ** 2) * _sphere_score_density(s[:, 0], d) / mass
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(samples))


def step_ratios(errors: Sequence[float] | np.ndarray) -> np.ndarray:
    """``errors[j+1] / errors[j]`` for errors at increasing ``beta``: ``< 1`` where the error falls.

    ``0`` where both are 0 and ``inf`` where the error rises from 0, so a ratio ``< 1`` everywhere
    means the error never rises.
    """
    err = np.asarray(errors, dtype=float)
    prev, nxt = err[:-1], err[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(prev > 0, nxt / prev, np.where(nxt > 0, np.inf, 0.0))


def beta_to_reach(
    betas: Sequence[float] | np.ndarray, errors: Sequence[float] | np.ndarray, level: float
) -> float:
    """The smallest ``beta`` at which the error curve first falls to ``level``.

    ``errors`` are measured at increasing ``betas``; between the two grid points around the first
    crossing the curve is interpolated linearly in ``log beta`` and ``log error`` (a power law
    there, as the ``1/beta`` tail is). ``betas[0]`` if the first error is already at or below
    ``level``, ``nan`` if no error reaches it. Reading this ``beta`` per ``N`` says how much
    sharper a head a larger ``N`` needs for the same error.
    """
    b = np.asarray(betas, dtype=float)
    err = np.asarray(errors, dtype=float)
    if b.ndim != 1 or b.shape != err.shape or len(b) < 1:
        raise ValueError("betas: a 1-d array of the same length as errors")
    if (b <= 0).any() or (np.diff(b) <= 0).any():
        raise ValueError("betas: positive and increasing")
    level = check_float("level", level, low=0.0, strict_low=True)
    below = np.flatnonzero(err <= level)
    if len(below) == 0:
        return float("nan")
    j = int(below[0])
    if j == 0:
        return float(b[0])
    e0, e1 = err[j - 1], err[j]
    if e1 <= 0:  # a log scale cannot place a crossing of an error that is exactly 0
        return float(b[j])
    t = (math.log(e0) - math.log(level)) / (math.log(e0) - math.log(e1))
    return float(math.exp(math.log(b[j - 1]) + t * (math.log(b[j]) - math.log(b[j - 1]))))


# -- random rank-1 features --------------------------------------------------------------------


def random_rank1_heads(
    H: int,
    d: int,
    seed: int | torch.Generator = 0,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float64,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``H`` random rank-1 heads ``(q, k)`` as in the authors' experiment: ``q`` uniform on the
    sphere and ``cos angle(q, k) ~ U(-1, 1)`` (direction of ``k``'s orthogonal part uniform).

    ``seed`` is a seed or a ``torch.Generator`` (its device wins over ``device``; a generator
    continues as the caller's stream). Returns ``q, k`` of shape ``(H, d)``, unit rows.
    """
    H, d = check_int("heads", H, low=1), check_int("d", d, low=2)
    gen = generator(seed, device)
    q = sphere(H, d=d, gen=gen, dtype=dtype)  # (H, d)
    w = sphere(H, d=d, gen=gen, dtype=dtype)  # (H, d), then its part orthogonal to q
    rho = torch.rand(H, 1, generator=gen, device=gen.device, dtype=dtype) * 2 - 1  # cos angle(q, k)
    w = torch.nn.functional.normalize(w - (w * q).sum(-1, keepdim=True) * q, dim=-1)
    k = rho * q + (1 - rho**2).sqrt() * w
    return q, k


def _numpy(a: np.ndarray | torch.Tensor) -> np.ndarray:
    """``a`` as a float64 numpy array (tensors from any device)."""
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=float)


def feature_gram(q: np.ndarray | torch.Tensor, k: np.ndarray | torch.Tensor) -> np.ndarray:
    """``C_hh' = 1/2 + (2/pi^2) arcsin<q_h, q_h'> arcsin<k_h, k_h'>`` for unit rows ``q, k (H, d)``."""
    q, k = _numpy(q), _numpy(k)
    aq = np.arcsin(np.clip(q @ q.T, -1, 1))
    ak = np.arcsin(np.clip(k @ k.T, -1, 1))
    return 0.5 + (2 / math.pi**2) * aq * ak


def _disc_rule(d: int, n_radius: int = 48, n_angle: int = 1024) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Quadrature for ``(a, b) = (<e_1, u>, <e_2, u>)``, ``u`` uniform on ``S^{d-1}`` (``d >= 3``).

    In polar form ``a = R cos phi``, ``b = R sin phi``: ``phi`` is uniform and ``t = R^2`` has
    density ``∝ (1 - t)^{(d-4)/2}``, i.e. Beta(1, (d-2)/2); Gauss-Jacobi nodes in ``t``.
    Returns ``(R (n_r,), phi (n_a,), weights (n_r,))``; the angle rule is the midpoint rule
    with equal weights, its cells aligned with the sign changes of ``cos phi``.
    """
    x, w = special.roots_jacobi(n_radius, (d - 4) / 2, 0.0)
    t = (1 + x) / 2
    w = w / w.sum()
    phi = -math.pi / 2 + (np.arange(n_angle) + 0.5) * (2 * math.pi / n_angle)
    return np.sqrt(t), phi, w


def g_d(rho: np.ndarray | float, d: int) -> np.ndarray:
    """``g_d(rho) = E_u[arcsin<q, u> sign<k, u>]`` for unit ``q, k`` with ``<q, k> = rho``, ``u``
    uniform on ``S^{d-1}`` (numerical quadrature; ``d >= 3``)."""
    d = check_int("d", d, low=3)
    rho = np.atleast_1d(np.asarray(rho, dtype=float))
    R, phi, w = _disc_rule(d)
    # k = e_1, q = rho e_1 + sqrt(1 - rho^2) e_2  =>  <q,u> = R cos(phi - psi), psi = arccos(rho)
    psi = np.arccos(np.clip(rho, -1, 1))
    sign = np.sign(np.cos(phi))  # (n_a,)
    inner = R[None, :, None] * np.cos(phi[None, None, :] - psi[:, None, None])  # (n_rho, n_r, n_a)
    per_radius = (np.arcsin(np.clip(inner, -1, 1)) * sign).mean(-1)  # (n_rho, n_r)
    return per_radius @ w


@lru_cache(maxsize=32)
def _g_d_table(d: int, points: int = 401) -> tuple[np.ndarray, np.ndarray]:
    rho = np.linspace(-1, 1, points)
    return rho, g_d(rho, d)


def feature_target(q: np.ndarray | torch.Tensor, k: np.ndarray | torch.Tensor) -> np.ndarray:
    """``b_h = E<f, out_h> = 1/2 + (1/pi) g_d(<q_h, k_h>)`` for unit rows ``q, k (H, d)``.

    ``g_d`` is smooth in ``rho``; it is tabulated once per ``d`` on 401 points and interpolated
    (error ``< 1e-5``).
    """
    q, k = _numpy(q), _numpy(k)
    rho = np.clip((q * k).sum(1), -1, 1)
    grid, values = _g_d_table(q.shape[1])
    return 0.5 + np.interp(rho, grid, values) / math.pi


def random_features_mse(
    q: np.ndarray | torch.Tensor, k: np.ndarray | torch.Tensor, ridge: float = 1e-10
) -> float:
    """Error ``1 - b^T C^-1 b`` of the best output weights on the rank-1 hardmax heads ``(q, k)``.

    A tiny ``ridge`` (relative to the diagonal, which is 1) keeps the solve stable when heads
    nearly coincide; the result is then an upper bound on the exact optimum, tight to ``~ridge``.
    """
    C = feature_gram(q, k)
    b = feature_target(q, k)
    a = np.linalg.solve(C + ridge * np.eye(len(b)), b)
    return float(1.0 - b @ a)


def random_features_mse_mc(
    q: np.ndarray | torch.Tensor,
    k: np.ndarray | torch.Tensor,
    a: np.ndarray | torch.Tensor,
    samples: int = 200_000,
    seed: int = 0,
) -> float:
    """Monte-Carlo error of ``sum_h a_h out_h`` on the orthogonal ``N = 2`` distribution (a check)."""
    d = q.shape[1]
    batch = orthogonal_pair(samples, d, seed, dtype=torch.float64)
    Q, K, A = (torch.as_tensor(_numpy(v)) for v in (q, k, a))
    u = batch.x[:, 0] - batch.x[:, 1]  # (B, d)
    s = torch.sign((batch.y @ Q.T) * (u @ K.T))  # (B, H): +1 picks x_1
    mid = (batch.x[:, 0] + batch.x[:, 1]) / 2
    out = mid * A.sum() + (s @ A)[:, None] * u / 2  # sum_h a_h ((x1+x2)/2 + s_h u/2)
    return ((out - batch.target) ** 2).sum(-1).mean().item()


def rank1_features(
    x: torch.Tensor, y: torch.Tensor, q: torch.Tensor, k: torch.Tensor, c: torch.Tensor | float = 0.0
) -> torch.Tensor:
    """Outputs of ``H`` biased rank-1 hardmax heads on two points: ``(B, H, d)``.

    Head ``h`` scores ``x_i`` by ``(<q_h, y> - c_h) <k_h, x_i>`` (a rank-1 score with a bias
    ``c_h`` inside it; ``c = 0``: the heads of :func:`random_rank1_heads`) and returns the
    winner. Shapes: ``x (B, 2, d)``, ``y (B, d)``, ``q, k (H, d)``, ``c (H,)`` or a number.
    """
    check_tensor("x", x, ("B", 2, "d"))
    check_tensor("y", y, (x.shape[0], x.shape[2]))
    check_tensor("q", q, ("H", x.shape[2]))
    check_tensor("k", k, tuple(q.shape))
    sy = y @ q.T - c  # (B, H)
    sx = torch.einsum("bnd,hd->bhn", x, k)  # (B, H, 2)
    pick = (sy[..., None] * sx).argmax(-1)  # (B, H)
    return torch.where(pick[..., None] == 0, x[:, None, 0], x[:, None, 1])


def fitted_output_error(
    train_features: torch.Tensor,
    train_target: torch.Tensor,
    test_features: torch.Tensor,
    test_target: torch.Tensor,
) -> float:
    """Test error ``E||f - sum_h a_h out_h||^2`` of output weights ``a`` fitted by least squares.

    ``a (H,)`` minimises the training error over the features ``(B, H, d)`` (heads' outputs) and
    targets ``(B, d)``; the error is measured on the test features and targets.
    """
    check_tensor("train_features", train_features, ("B", "H", "d"))
    H, d = train_features.shape[1:]
    check_tensor("train_target", train_target, (train_features.shape[0], d))
    check_tensor("test_features", test_features, ("B", H, d))
    check_tensor("test_target", test_target, (test_features.shape[0], d))
    A = train_features.permute(0, 2, 1).reshape(-1, H)  # rows (instance, coordinate), columns heads
    a = torch.linalg.lstsq(A, train_target.reshape(-1, 1)).solution[:, 0]  # (H,)
    pred = torch.einsum("bhd,h->bd", test_features, a)  # (B, d)
    return ((pred - test_target) ** 2).sum(-1).mean().item()


# -- majority vote (the depth construction's first layer) --------------------------------------


def vote_probability(cos_theta: np.ndarray | float) -> np.ndarray:
    """Probability that a random rank-1 head ``q = k`` (uniform) votes for the nearest point:
    ``1 - arccos(|cos theta|)/pi``, ``theta`` the angle between ``y`` and ``x_1 - x_2``."""
    return 1.0 - np.arccos(np.abs(np.asarray(cos_theta, dtype=float))) / math.pi


def binned_vote_agreement(
    y: torch.Tensor, u: torch.Tensor, q: torch.Tensor, bins: int = 16
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulated against predicted vote probability, in ``bins`` bins of ``cos theta`` of equal count.

    Sample ``s`` has a query ``y_s``, a direction ``u_s`` (of ``x_1 - x_2``) and a head
    ``q_s = k_s``, all unit rows ``(n, d)``; its vote is right when ``sign(<q, y><q, u>) =
    sign(<u, y>)``. Returns, per bin, the mean ``cos theta = <u, y>``, the fraction of right
    votes and the mean of :func:`vote_probability` over the bin's samples.
    """
    check_tensor("y", y, ("n", "d"))
    check_tensor("u", u, tuple(y.shape))
    check_tensor("q", q, tuple(y.shape))
    bins = check_int("bins", bins, low=1)
    right = (torch.sign((q * y).sum(-1) * (q * u).sum(-1)) == torch.sign((u * y).sum(-1))).cpu().numpy()
    cos = (u * y).sum(-1).cpu().numpy()
    edges = np.quantile(cos, np.linspace(0, 1, bins + 1))[1:-1]  # inner edges: bins of equal count
    which = np.digitize(cos, edges)
    centres, measured, formula = [], [], []
    for j in range(bins):
        sel = which == j
        centres.append(cos[sel].mean())
        measured.append(right[sel].mean())
        formula.append(vote_probability(cos[sel]).mean())
    return np.array(centres), np.array(measured), np.array(formula)


def cos_theta_density(t: np.ndarray, d: int) -> np.ndarray:
    """Density of ``<y, u>`` for independent uniform ``y, u`` on ``S^{d-1}``: ``∝ (1 - t^2)^{(d-3)/2}``."""
    d = check_int("d", d, low=2)
    norm = special.gamma(d / 2) / (math.sqrt(math.pi) * special.gamma((d - 1) / 2))
    return norm * np.clip(1 - t**2, 0, None) ** ((d - 3) / 2)


def majority_vote_error(H: int, d: int, n_grid: int = 4001) -> float:
    """Error ``E||f - x_pick||^2`` when ``x_pick`` is the majority of ``H`` (odd) independent
    random rank-1 votes, averaged over the angle between ``y`` and ``x_1 - x_2``.

    A wrong pick on the orthogonal pair costs ``||x_1 - x_2||^2 = 2``.
    """
    H = check_int("heads", H, low=1)
    if H % 2 == 0:
        raise ValueError(f"heads must be odd for a majority without ties; got {H}")
    t = np.cos(np.linspace(0, math.pi / 2, n_grid))  # cos theta in [0, 1] (symmetric)
    p = vote_probability(t)
    wrong = special.bdtr((H - 1) // 2, H, p)  # P(at most (H-1)/2 correct votes)
    # integrate over t in [0, 1] against 2 * density (|cos theta| is symmetric)
    ts, order = t[::-1], slice(None, None, -1)
    return float(2 * np.trapezoid(2 * cos_theta_density(ts, d) * wrong[order], ts))


def plurality_vote_error(
    x: torch.Tensor, y: torch.Tensor, target: torch.Tensor, q: torch.Tensor, chunk: int = 256
) -> float:
    """Error of the plurality of random rank-1 votes for ``N`` points (the natural ``N > 2``
    generalisation of the majority vote).

    Head ``h`` (``q_h = k_h``) votes for ``argmax_i <q_h, y><q_h, x_i>``; the prediction is the
    point with most votes. Shapes: ``x (B, N, d)``, ``y (B, d)``, ``target (B, d)``, ``q (H, d)``.
    Returns ``E||target - x_pick||^2``. Works through the batch in chunks of ``chunk`` instances,
    so memory is ``O(chunk * H * N)`` rather than ``O(B * H * N)``.
    """
    B, N, _ = x.shape
    chunk = check_int("chunk", chunk, low=1)
    total = 0.0
    for s in range(0, B, chunk):
        xs, ys = x[s : s + chunk], y[s : s + chunk]  # (b, N, d), (b, d)
        vote = ((ys @ q.T)[..., None] * torch.einsum("bnd,hd->bhn", xs, q)).argmax(-1)  # (b, H)
        counts = torch.zeros(len(xs), N, dtype=torch.long, device=x.device)
        counts.scatter_add_(1, vote, torch.ones_like(vote))  # (b, N) votes per point
        pick = xs[torch.arange(len(xs), device=x.device), counts.argmax(-1)]  # (b, d)
        total += ((pick - target[s : s + chunk]) ** 2).sum().item()
    return total / B


# -- the lower bound -----------------------------------------------------------------------------


def heads_lower_bound(d: int, r: int, eps: float) -> dict[str, float]:
    """Shapes of the lower bound on ``H`` for error ``eps``, all constants set to 1 (``log10``).

    Not the theorem itself: its constants and its conditions on ``eps`` (and ``d >= 5``) were
    not available to us, so this is evaluated for every ``eps`` in ``(0, 1]``. The summaries of
    the paper we could read agree on the high-dimensional regime, ``H >= (d / r)^{1/eps}``, but
    give the high-accuracy regime as ``exp(d - r log(d / r))`` (``"high_accuracy"``) in one
    reading and ``exp(d - r)`` (``"high_accuracy_alt"``) in another; both are returned.
    ``log10`` values since they overflow quickly; ``nan`` when ``r >= d`` (no bound: one
    full-rank head suffices).
    """
    d, r = check_int("d", d, low=1), check_int("rank", r, low=1, high=d)
    eps = check_float("eps", eps, low=0.0, high=1.0, strict_low=True)
    if r >= d:
        return {"high_dimensional": math.nan, "high_accuracy": math.nan, "high_accuracy_alt": math.nan}
    return {
        "high_dimensional": math.log10(d / r) / eps,
        "high_accuracy": (d - r * math.log(d / r)) / math.log(10),
        "high_accuracy_alt": (d - r) / math.log(10),
    }


def gegenbauer_energy(d: int, degrees: int = 40) -> np.ndarray:
    """Energy of the sign target ``t(y) = sign<y, u>`` along the Gegenbauer degrees ``ell``.

    On ``S^{d-1}`` the zonal function ``sign(s)`` (``s = <y, u>``) expands in Gegenbauer
    polynomials ``C_ell^{lambda}``, ``lambda = (d-2)/2``; the energy at degree ``ell`` is
    ``c_ell^2 ||C_ell||^2 / ||sign||^2`` with ``c_ell = <sign, C_ell> / ||C_ell||^2`` under the
    weight ``(1 - s^2)^{lambda - 1/2}``. Only odd degrees carry energy; the fractions sum to 1.
    Returns the fractions for ``ell = 0..degrees``.
    """
    return np.array(_gegenbauer_energy(check_int("d", d, low=3), check_int("degrees", degrees, low=0)))


@lru_cache(maxsize=64)
def _gegenbauer_energy(d: int, degrees: int) -> tuple[float, ...]:
    lam = (d - 2) / 2
    weight = lambda s: (1 - s * s) ** (lam - 0.5)
    total = 2 * integrate.quad(weight, 0, 1)[0]  # ||sign||^2 under the weight
    energy = np.zeros(degrees + 1)
    for ell in range(1, degrees + 1, 2):  # sign is odd: even degrees vanish
        # <sign, C_ell> = 2 int_0^1 C_ell w ds; ||C_ell||^2 in closed form
        inner = (
            2
            * integrate.quad(
                lambda s, n=ell: special.eval_gegenbauer(n, lam, s) * weight(s), 0, 1, limit=400
            )[0]
        )
        log_norm2 = (
            math.log(math.pi)
            + (1 - 2 * lam) * math.log(2)
            + special.gammaln(ell + 2 * lam)
            - special.gammaln(ell + 1)
            - math.log(ell + lam)
            - 2 * special.gammaln(lam)
        )
        energy[ell] = inner**2 / math.exp(log_norm2) / total
    return tuple(energy.tolist())


def energy_fraction_mc(d: int, degrees: Sequence[int], samples: int = 200_000, seed: int = 0) -> np.ndarray:
    """Monte-Carlo check of :func:`gegenbauer_energy`: the fraction of ``E[sign(s)^2] = 1`` that the
    best polynomial of degree ``<= L`` in ``s = <y, u>`` explains, for each ``L`` in ``degrees``.

    A zonal function's projection onto the harmonics of degree ``<= L`` is a polynomial of degree
    ``<= L`` in ``s``, so this fraction equals ``sum_{ell <= L} e_ell``. It is estimated without
    Gegenbauer polynomials or their norms: ``s`` is sampled as the first coordinate of a uniform
    point on ``S^{d-1}`` (``g_1 / sqrt(g_1^2 + chi^2_{d-1})``), ``sign(s)`` is fitted by least
    squares on probabilists' Hermite polynomials of ``s sqrt(d)`` (a well-conditioned basis), and
    the fraction is ``1 - mean residual^2``. Statistical error ``~ 1/sqrt(samples)``. Keep ``L``
    small (``<= 7`` for ``d <= 64``): at high degree a sample fit exploits the polynomial's rarely
    sampled tails and overestimates the population fraction (by about 0.01 at ``L = 15``, ``d = 64``).
    """
    d = check_int("d", d, low=3)
    samples = check_int("samples", samples, low=1)
    rng = np.random.default_rng(seed)
    g1 = rng.standard_normal(samples)
    s = g1 / np.sqrt(g1**2 + rng.chisquare(d - 1, samples))
    degrees = [check_int("degree", L, low=0) for L in degrees]
    target = np.sign(s)
    basis = np.polynomial.hermite_e.hermevander(s * math.sqrt(d), max(degrees))  # (n, L_max + 1)
    gram, rhs = basis.T @ basis, basis.T @ target  # normal equations (the basis is well conditioned)
    out = []
    for L in degrees:
        coef = np.linalg.solve(gram[: L + 1, : L + 1], rhs[: L + 1])
        residual = target @ target - rhs[: L + 1] @ coef  # ||target - basis c||^2 at the optimum
        out.append(1.0 - float(residual) / samples)
    return np.array(out)


def rank_fraction(d: int, r: int, degrees: int = 40) -> np.ndarray:
    """Fraction of the degree-``ell`` harmonics that one rank-``r`` head can reach, ``ell = 0..degrees``.

    Functions of ``Wy`` (``W`` of rank ``r < d``) are invariant under the rotations of ``ker W``;
    projecting onto degree ``ell`` keeps that invariance, and by the branching rule the invariant
    degree-``ell`` harmonics on ``S^{d-1}`` form a space of dimension ``sum_{j <= ell, j = ell mod 2}
    dim H_j^{(r)} = binom(ell + r - 1, ell)`` (homogeneous polynomials of degree ``ell`` in ``r``
    variables). Divided by ``dim H_ell^{(d)}``: at most ``~(r/d)^ell`` for fixed ``ell``.
    (Our derivation; the paper's proof controls the same quantity.)
    """
    d = check_int("d", d, low=3)
    r = check_int("rank", r, low=1, high=d - 1)
    ells = range(degrees + 1)
    return np.array([special.comb(ell + r - 1, ell, exact=True) / _harmonic_dim(d, ell) for ell in ells])


def harmonic_lower_bound(H: int | np.ndarray | float, d: int, r: int, degrees: int = 120) -> np.ndarray:
    """A lower bound on the error of ANY ``H``-head rank-``r`` model in ``A_{H,r}`` on the ``N = 2``
    orthogonal distribution with uniform ``y`` (our derivation from the energy argument).

    For fixed ``x_1, x_2`` every head is a function of ``W_h y``, so the model's component along
    ``u = x_1 - x_2`` lies in ``S = sum_h {functions of W_h y}``, a space graded by degree with
    ``dim S_ell <= H binom(ell + r - 1, ell)``. The target's component is ``(|u|/2) sign<y, u/|u|>``
    and ``|u|^2/4 = 1/2``; averaging over the uniform direction of ``u`` the squared projection
    of a degree-``ell`` zonal function onto ``S_ell`` is ``dim S_ell / dim H_ell``. Hence

        E||f - A||^2 >= (1/2) sum_ell e_ell (1 - min(1, H binom(ell+r-1, ell) / dim H_ell^{(d)})),

    with ``e_ell`` the Gegenbauer energy of ``sign`` (:func:`gegenbauer_energy`).
    """
    e = gegenbauer_energy(d, degrees)
    frac = rank_fraction(d, r, degrees)
    H = np.atleast_1d(np.asarray(H, dtype=float))
    missing = 1.0 - np.minimum(1.0, H[:, None] * frac[None, :])  # (n_H, degrees+1)
    # energy beyond `degrees` is left out: that keeps the result a lower bound
    return 0.5 * (missing @ e)


def heads_needed(d: int, r: int, eps: float, degrees: int = 120) -> float:
    """Smallest ``H`` (log-bisection, as a float) at which :func:`harmonic_lower_bound` drops to
    ``eps``: fewer heads than this cannot reach error ``eps``. ``inf`` past ``1e300``."""
    eps = check_float("eps", eps, low=0.0, high=1.0, strict_low=True)
    lo, hi = 0.0, 300.0  # log10 H
    if harmonic_lower_bound(10.0**hi, d, r, degrees)[0] > eps:
        return math.inf
    for _ in range(60):
        mid = (lo + hi) / 2
        if harmonic_lower_bound(10.0**mid, d, r, degrees)[0] > eps:
            lo = mid
        else:
            hi = mid
    return 10.0**hi


def _harmonic_dim(n: int, ell: int) -> float:
    """Dimension of the degree-``ell`` spherical harmonics in ``n`` variables (``n=1``: 1 for 0,1)."""
    if n == 1:
        return 1.0 if ell <= 1 else 0.0
    if ell == 0:
        return 1.0
    return float(special.comb(ell + n - 1, ell, exact=True) - special.comb(ell + n - 3, ell - 2, exact=True))
