"""Values reported by Kozachinskiy et al. (2025, arXiv 2501.19215) for their experiments.

Read from the paper's text as stored (its Section 6, Table 1 and Table 6); the display
equations and Figure 1's curves did not survive there, so only these numbers are quoted.
They are drawn next to the book's runs and never used in a claim.
"""

from __future__ import annotations

TABLE1: dict[str, dict[str, tuple[float, int]]] = {
    "brc": {"Strassen": (1.00, 2500), "standard, 2 layers": (0.92, 3600)},
    "qbrc": {"Strassen": (0.98, 2500), "standard, 2 layers": (0.82, 3600)},
}
"""Table 1, parameter-matched (``d = 16``): task -> model -> (accuracy, parameters, rounded as
printed: "2.5k", "3.6k")."""

TABLE6: dict[str, dict[str, float | int]] = {
    "fcomp": dict(d=16, heads=1, batch=2500, epochs=1000, dropout=0.3),
    "brc": dict(d=16, heads=1, batch=2500, epochs=200, dropout=0.3),
    "match3": dict(d=128, heads=2, batch=2500, epochs=500, dropout=0.4),
    "qbrc": dict(d=16, heads=1, batch=2000, epochs=3000, dropout=0.3),
}
"""Table 6's training set-up per task; every task: 5 x 10^4 examples, 90/10 split, AdamW at
1e-3 without a schedule, binary cross-entropy, the median of 8 seeds."""

SAMPLES = 50_000
SEEDS = 8
LR = 1e-3

QUALITATIVE = (
    "Strassen and third-order attention are the only mechanisms accurate on all four tasks.",
    "Triangular attention is the fastest to train on relation composition.",
    "Strassen attention clearly beats triangular and standard attention on QBRC.",
)
"""The paper's reported findings in words (its Section 6), as the stored text states them."""
