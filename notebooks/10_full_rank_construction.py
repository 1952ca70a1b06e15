# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # One full-rank head finds the nearest neighbour
#
# This chapter reproduces Amsel, Yehudai and Bruna, *On the Benefits of Rank in Attention
# Layers* (arXiv 2407.16153; ICLR 2025 as *Quality over Quantity in Attention Layers*). Its
# target is the simplest lookup there is. Draw points $x_1, \dots, x_N$ and a query $y$
# uniformly on the unit sphere $S^{d-1}$ and return the point closest to the query:
#
# $$ f(x_1, \dots, x_N; y) = x_{i^*}, \qquad i^* = \arg\max_i \langle x_i, y \rangle . $$
#
# The authors' experiments use the self-attention version: every point $x_i$ asks for its
# **farthest** point $x_{\arg\min_j \langle x_j, x_i\rangle}$ (the nearest neighbour of $-x_i$;
# asking for the nearest would return $x_i$ itself). Targets are unit vectors, so the predictor
# that always answers $0$ has error $\mathbb{E}\lVert f - 0\rVert^2 = 1$: every error on these
# pages is measured against that baseline.
#
# **The upper bound.** One attention head of *full* rank does the job for every $N$: with
# $W_{QK} = \beta I$ (nearest) or $-\beta I$ (farthest) and $W_V = W_O = I$, the head returns
# $\sum_j \mathrm{softmax}_j(\pm\beta\langle x_j, z\rangle)\, x_j$, which tends to the target as
# $\beta \to \infty$ and equals it under hardmax. This page executes that construction,
# measures its error as a function of $\beta$ and $N$, and checks the hardmax limit exactly.
# The next pages show why heads of rank $r < d$ cannot do the same, however many there are
# (pages 11 and 12), how a second layer lets rank-1 heads approximate the target for short
# contexts (page 13), and the biased variant (page 14). Page 15 goes past the paper: it puts the
# authors' conjecture, that for long contexts full rank is needed whatever the depth, to an
# experiment at the sizes this book can train.
#
# This page ran with profile {glue:text}`profile` in {glue:text}`runtime`.

# %% tags=["parameters"]
profile = "quick"
seed = 0

# %%
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import torch

import attnlab
from attnlab.book.seeds import derive_seed
from attnlab.rank import constructions, tasks, theory

page = attnlab.Page("10_full_rank_construction", profile=profile, seed=seed)
cfg = page.cfg
device = page.device()
sns.set_theme(context="notebook", style="whitegrid")

# %% [markdown]
# ## 1. The error of the construction, as $\beta$ grows
#
# For $d$ = {glue:text}`cfg_d` and $N \in$ {glue:text}`Ns` we estimate $\mathbb{E}\lVert f - A\rVert^2$
# with {glue:text}`cfg_samples` random targets per point (float64; the same samples for every $\beta$),
# for both targets.

# %%
page.record("Ns", ", ".join(map(str, cfg.Ns)))
errors = {}  # (task, N) -> error per beta
for task in ("nearest", "farthest"):
    for N in cfg.Ns:
        samples_seed = derive_seed(seed, "construction samples", task, N)
        errors[task, N] = theory.full_rank_construction_error(
            cfg.betas, N, cfg.d, task=task, samples=cfg.samples, seed=samples_seed, device=device
        )
betas = np.array(cfg.betas, dtype=float)
at_max = {f"{task}, N={N}": err[-1] for (task, N), err in errors.items()}
page.record("beta_max", f"{betas[-1]:.0e}")
page.record("worst_error_at_max_beta", max(at_max.values()))
page.record("N_max", cfg.Ns[-1])
page.record("error_at_beta_1_N_max", errors["nearest", cfg.Ns[-1]][0])

fig, axes = plt.subplots(1, 2, figsize=(12, 4.3), sharey=True)
for ax, task in zip(axes, ("nearest", "farthest"), strict=True):
    for N in cfg.Ns:
        ax.loglog(betas, errors[task, N], "o-", ms=4, label=f"$N={N}$ (measured)")
    ax.axhline(1.0, color="k", ls=":", label="zero predictor (error 1)")
    ax.axhline(1e-3, color="C3", ls="--", lw=1, label="$10^{-3}$")
    ax.set(
        xlabel="$\\beta$ in $W_{QK} = \\pm\\beta I$",
        title=f"{task} neighbour, one full-rank head, $d={cfg.d}$",
    )
    ax.legend(fontsize=9)
axes[0].set_ylabel("$\\mathbb{E}\\,\\|f - A\\|^2$")
fig.tight_layout()
page.figure("fig_error_against_beta", fig)

# %% [markdown]
# At small $\beta$ the head averages: with $\beta = 1$ and $N$ = {glue:text}`N_max` its error is
# {glue:text}`error_at_beta_1_N_max:.2f`, barely better than the zero predictor (error 1), because
# the softmax spreads its mass over many points. As $\beta$ grows the error falls for every $N$, and at
# $\beta$ = {glue:text}`beta_max` the worst case over tasks and $N$ is
# {glue:text}`worst_error_at_max_beta:.1e`. Larger $N$ needs a larger $\beta$, because the best
# and second-best scores come closer (the gap between the top two of $N$ inner products shrinks
# with $N$); the slow $1/\beta$ tail comes from near-ties, as on the first page of the book.
#
# ## 2. The hardmax limit is exact
#
# The lower bound of the next pages is proved for *any* map from scores to probabilities,
# hardmax included. With hardmax the construction is not an approximation: it is the target.
# We run it through `GeneralizedAttention`, the package's implementation of the class
# $\mathcal{A}_{H,r}$, with one head, $W = I$ (rank $d$) and $M = I$
# (`attnlab.rank.constructions.full_rank_head`), on fresh instances.

# %%
head = constructions.full_rank_head(cfg.d, normalization="hardmax", device=device)
hard_err = {}
for N in cfg.Ns:
    batch = tasks.nearest_neighbor(
        cfg.samples,
        N,
        cfg.d,
        seed=derive_seed(seed, "hardmax instances", N),
        device=device,
        dtype=torch.float64,
    )
    with torch.no_grad():
        hard_err[N] = ((head(batch.x, batch.y) - batch.target) ** 2).sum(-1).max().item()
page.record("hardmax_max_error", max(hard_err.values()))

# %% [markdown]
# The largest squared error over all {glue:text}`cfg_samples` instances and every $N$ is
# {glue:text}`hardmax_max_error`: the full-rank hardmax head *is* the nearest-neighbour function.
#
# ## 3. Error against $N$ at fixed $\beta$
#
# The construction has one parameter, and the same head serves every $N$. At a fixed moderate
# $\beta$ its error grows slowly with $N$ (more near-ties), which a larger $\beta$ removes.

# %%
mid = int(np.searchsorted(betas, 100.0))
fig, ax = plt.subplots(figsize=(6.2, 4))
for j in (mid, len(betas) - 1):
    ax.loglog(cfg.Ns, [errors["nearest", N][j] for N in cfg.Ns], "o-", label=f"$\\beta = {betas[j]:.0e}$")
ax.set(xlabel="$N$", ylabel="$\\mathbb{E}\\,\\|f - A\\|^2$", title="Nearest neighbour, error against $N$")
ax.set_xticks(cfg.Ns, [str(n) for n in cfg.Ns])
ax.legend()
fig.tight_layout()
page.figure("fig_error_against_N", fig)

# %% [markdown]
# ## Claims

# %%
labelled = {f"{t}, N={N}": e for (t, N), e in errors.items()}
page.claim(
    "the construction's error is below 1e-3 for every N tested at the largest beta (both targets)",
    max(at_max.values()),
    "<",
    1e-3,
    error_at_max_beta=at_max,
)
page.claim(
    "the error never rises with beta (same samples): largest ratio of consecutive errors < 1, every N, both targets",
    max(theory.step_ratios(err).max() for err in errors.values()),
    "<",
    1.0,
    errors=labelled,
)
page.claim(
    "the error falls >= 100x from beta = 10 to the largest beta, for every N and both targets",
    max(err[-1] / err[list(betas).index(10.0)] for err in errors.values()),
    "<=",
    0.01,
    errors=labelled,
)
page.claim(
    "the hardmax head is exact: max squared error < 1e-20 over all instances and N",
    max(hard_err.values()),
    "<",
    1e-20,
    max_error=hard_err,
)
page.finish()
