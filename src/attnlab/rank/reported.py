"""Values reported by Amsel, Yehudai and Bruna (2024), read off their published figures.

Approximate readings of log-scale plots, for drawing the paper's curves next to ours; never
used in a claim. Keys: rank ``r`` (with ``d = 64``).

What the numbers measure (from the authors' code): the minimum over epochs of the epoch-mean
*training* loss, best of five data seeds. With a data seed set, their data module re-seeds its
generator whenever an epoch starts, so every epoch replays the same 100 batches of 256
instances (25,600 in fig1): the loss is on a finite, replayed training set, not on fresh data.
It is comparable to :func:`attnlab.rank.train.train`'s ``metric`` under ``protocol="replay"``, not to
its ``heldout`` error.
"""

from __future__ import annotations

# fig1: d = 64, N = 16, best of 5 seeds; (layers, attention parameters per layer) -> {rank: MSE}
FIG1: dict[tuple[int, str], dict[int, float]] = {
    (1, "d^2"): {1: 0.87, 2: 0.86, 4: 0.85, 8: 0.83, 16: 0.79, 32: 0.69, 64: 1.5e-2},
    (1, "d^2.5"): {1: 0.82, 2: 0.81, 4: 0.78, 8: 0.72, 16: 0.61, 32: 0.43, 64: 7e-3},
    (1, "d^3"): {1: 0.65, 2: 0.61, 4: 0.58, 8: 0.57, 16: 0.46, 32: 0.31, 64: 2e-3},
    (3, "d^2"): {1: 0.8, 2: 0.8, 4: 0.4, 8: 0.22, 16: 0.12, 32: 0.05, 64: 3e-3},
    (3, "d^2.5"): {1: 0.6, 2: 0.38, 4: 0.22, 8: 0.11, 16: 0.07, 32: 0.035, 64: 7e-3},
    (3, "d^3"): {1: 0.52, 2: 0.38, 4: 0.055, 8: 0.042, 16: 0.053, 32: 0.055, 64: 7.5e-4},
    (5, "d^2"): {1: 0.9, 2: 0.87, 4: 0.85, 8: 0.78, 16: 0.9, 32: 0.69, 64: 0.6},
    (5, "d^2.5"): {1: 0.4, 2: 0.14, 4: 0.065, 8: 0.062, 16: 0.045, 32: 0.019, 64: 6.5e-3},
    (5, "d^3"): {1: 0.42, 2: 0.115, 4: 0.06, 8: 0.026, 16: 0.022, 32: 0.014, 64: 2e-3},
}

# width multiplier c of each parameter label at d = 64
C_OF_LABEL = {"d^2": 1, "d^2.5": 8, "d^3": 64}

# figN: d = 64, two layers, c = 64; N -> {rank: MSE}
FIGN: dict[int, dict[int, float]] = {
    256: {1: 1.16, 8: 0.81, 16: 0.72, 32: 0.54, 64: 0.04},
    64: {1: 0.81, 8: 0.69, 16: 0.60, 32: 0.43, 64: 0.01},
    16: {1: 0.63, 8: 0.41, 16: 0.33, 32: 0.23, 64: 0.01},
    4: {1: 0.02, 8: 0.01, 16: 0.005, 32: 0.005, 64: 0.005},
}

# random features (page 11): plateau of the best-output-weight error at up to 16384 rank-1 heads
RANDOM_FEATURES_PLATEAU = (0.13, 0.18)
