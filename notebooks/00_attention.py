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
# # The attention layer
#
# Every chapter of this book studies one object: a layer of **multi-head attention**. This page
# builds it, with one change from the usual presentation: the query/key **rank** $r$ and the
# number of **heads** $H$ are separate knobs. In standard transformers they are tied by
# $H = d/r$; the rank-versus-heads chapter is about what happens when they are not.
#
# For an input stream $x_1, \dots, x_N \in \mathbb{R}^d$ (queries) and a context
# $z_1, \dots, z_M \in \mathbb{R}^d$ (keys and values; $z = x$ in self-attention), head $h$ scores
#
# $$ s_h(i, j) = \beta \, \langle W_q^h x_i, W_k^h z_j \rangle = \beta \, x_i^\top A_h z_j,
#    \qquad A_h = (W_q^h)^\top W_k^h, \quad W_q^h, W_k^h \in \mathbb{R}^{r \times d}, $$
#
# turns each row of scores into probabilities with softmax (or hardmax, which puts all the mass
# on the largest score), and returns the weighted average of its values $W_v^h z_j$. An output
# map $W_o$ mixes the heads. Two facts about this layer carry the rest of the book:
#
# 1. **The score matrix of a head has rank at most $r$**, because $A_h$ does. A rank-$r$ head can
#    only compare queries and keys through an $r$-dimensional projection.
# 2. **Softmax tends to hardmax** as the inverse temperature $\beta$ grows: large weights turn
#    attention into an exact lookup, which is how the book's constructions work.
#
# This page measures both on `attnlab.LowRankAttention`, which implements exactly this layer.
# Later chapters run the same computation in their own batched modules: the composition
# chapters' transformers (pages 22–25) call the same `attnlab.attend`; the rank chapters'
# constructions (pages 10, 13, 14) are `GeneralizedAttention` layers (heads that see points and
# query through one rank-$r$ map, with softmax or hardmax), and their trained encoders (pages 12
# and 15) call PyTorch's fused attention directly.
# It was executed with profile {glue:text}`profile` and took {glue:text}`runtime` (the run card at
# the bottom lists every claim it checked).

# %% tags=["parameters"]
profile = "quick"
seed = 0

# %%
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import torch

import attnlab
from attnlab import LowRankAttention

page = attnlab.Page("00_attention", profile=profile, seed=seed)
cfg = page.cfg
sns.set_theme(context="notebook", style="whitegrid")

# %% [markdown]
# ## 1. A head's score matrix has rank at most $r$
#
# We draw random weights for a layer of width $d$ = {glue:text}`cfg_d` with
# {glue:text}`cfg_heads` heads, for every rank in the profile, feed it random queries and keys
# (more of each than $d$, so nothing but the rank can limit the matrix) and measure the
# numerical rank of every head's $N \times M$ score matrix on every input of the batch.

# %%
# float64 throughout, so that "numerical rank" is limited by the weights, not by rounding
x = torch.randn(cfg.batch, cfg.n_queries, cfg.d, dtype=torch.float64)  # queries  (B, N, d)
z = torch.randn(cfg.batch, cfg.n_keys, cfg.d, dtype=torch.float64)  # context  (B, M, d)

measured = {}  # rank r -> measured ranks of all (batch, head) score matrices
spectra = {}  # rank r -> singular values of one score matrix, largest first
tail = {}  # rank r -> max over batch and heads of sigma_{r+1} / sigma_1
with torch.no_grad():
    for r in cfg.ranks:
        layer = LowRankAttention(cfg.d, rank=r, heads=cfg.heads).double()
        S = layer.scores(x, z)  # (B, H, N, M)
        measured[r] = torch.linalg.matrix_rank(S).flatten()  # (B*H,)
        sv = torch.linalg.svdvals(S)  # (B, H, min(N, M)), largest first
        spectra[r] = sv[0, 0]
        if r < sv.shape[-1]:  # the largest singular value past the r-th, relative to the first
            tail[r] = (sv[..., r] / sv[..., 0]).max().item()
        assert torch.linalg.matrix_rank(layer.bilinear_forms()).max() <= r  # A_h = (W_q^h)^T W_k^h

max_rank = {r: int(v.max()) for r, v in measured.items()}
min_rank = {r: int(v.min()) for r, v in measured.items()}
page.record("max_measured_rank", max_rank, label="r")
page.record("sv_tail", max(tail.values()))
# score matrices (over batch, heads and ranks) whose numerical rank exceeds r, or falls short of it
above = sum(int((v > r).sum()) for r, v in measured.items())
below = sum(int((v < r).sum()) for r, v in measured.items())
n_matrices = sum(v.numel() for v in measured.values())
page.record("n_matrices", n_matrices)

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
ax = axes[0]
ranks = np.array(cfg.ranks)
ax.plot(ranks, ranks, "k--", label="bound: rank $\\leq r$")
ax.plot(ranks, [max_rank[r] for r in cfg.ranks], "o", ms=9, label="measured (max over batch and heads)")
ax.plot(ranks, [min_rank[r] for r in cfg.ranks], "x", ms=9, color="C3", label="measured (min)")
ax.set(
    xscale="log",
    yscale="log",
    xlabel="query/key rank $r$",
    ylabel="rank of the score matrix",
    title=f"Score-matrix rank, $d={cfg.d}$, $N={cfg.n_queries}$, $M={cfg.n_keys}$",
)
ax.set_xticks(ranks, [str(r) for r in ranks])
ax.set_yticks(ranks, [str(r) for r in ranks])
ax.legend(loc="upper left", fontsize=9)  # the points lie on the diagonal: upper left is empty
ax = axes[1]
for r in cfg.ranks:
    sv = spectra[r].numpy()
    ax.semilogy(np.arange(1, len(sv) + 1), sv / sv[0] + 1e-18, "o-", ms=3, label=f"$r={r}$")
ax.set(
    xlabel="singular value index",
    ylabel="singular value / largest",
    ylim=(1e-18, 3),
    title="Spectrum of one head's score matrix",
)
ax.legend(ncol=2, fontsize=9)
fig.tight_layout()
page.figure("fig_score_rank", fig)

# %% [markdown]
# The measured rank equals $r$ exactly, for all {glue:text}`n_matrices` score matrices: the bound
# is attained by random weights, and the singular values past the $r$-th drop to rounding error
# (at most {glue:text}`sv_tail:.1e` of the largest; that follows from the numerical rank, whose
# tolerance is of that order, so it is printed, not claimed).
#
# ## 2. Softmax tends to hardmax
#
# Scale the scores by $\beta$. If a row's largest score beats the others by gaps
# $\Delta_j > 0$, softmax leaves mass $\sum_{j} e^{-\beta \Delta_j} / (1 + \sum_j e^{-\beta\Delta_j})$
# off the winner, so the $\ell_1$ distance to hardmax obeys
#
# $$ \lVert \mathrm{softmax}(\beta s) - \mathrm{hardmax}(s) \rVert_1 \;\le\; 2 \sum_{j \ne j^*} e^{-\beta \Delta_j}. $$
#
# We compute both sides for a full-rank layer on a batch of self-attention inputs with
# $N$ = {glue:text}`cfg_N` tokens, together with the distance between the layer's outputs under the two
# normalisations.

# %%
layer = LowRankAttention(cfg.d, rank=cfg.d, heads=cfg.heads, beta=1.0)
hard = LowRankAttention(cfg.d, rank=cfg.d, heads=cfg.heads, beta=1.0, normalization="hardmax")
hard.load_state_dict(layer.state_dict())
xs = torch.randn(cfg.batch, cfg.N, cfg.d)

with torch.no_grad():
    s = layer.scores(xs)  # (B, H, N, N), beta = 1
    p_hard = attnlab.hardmax(s)
    out_hard = hard(xs)
    gaps = s.amax(-1, keepdim=True) - s  # (B, H, N, N), zero at the winner
    l1, bound, out_err = [], [], []
    for b in cfg.betas:
        layer.beta = float(b)
        p_soft = (b * s).softmax(-1)
        l1.append((p_soft - p_hard).abs().sum(-1).mean().item())
        bound.append((2 * torch.exp(-b * gaps).sum(-1) - 2).mean().item())  # minus the winner's own e^0
        out_err.append((layer(xs) - out_hard).norm(dim=-1).mean().item())

betas = np.array(cfg.betas, dtype=float)
l1, bound, out_err = map(np.array, (l1, bound, out_err))
slope = np.polyfit(np.log(betas[-3:]), np.log(l1[-3:]), 1)[0]
page.record("l1_at_max_beta", l1[-1])
page.record("l1_slope", slope)
page.record("l1_over_bound_max", float((l1 / bound).max()))

informative = bound < 2  # the l1 distance of two probability vectors is at most 2
page.record("beta_informative", float(betas[informative].min()))
fig, ax = plt.subplots(figsize=(6.5, 4.2))
ax.loglog(
    betas[informative],
    bound[informative],
    "k--",
    label="bound $2\\sum_j e^{-\\beta\\Delta_j}$ (formula, where below 2)",
)
ax.axhline(2, color="0.5", lw=1, ls=":", label="$\\ell_1 \\leq 2$ for any two distributions")
ax.loglog(betas, l1, "o-", label="$\\|\\mathrm{softmax} - \\mathrm{hardmax}\\|_1$ (measured)")
ax.loglog(betas, out_err, "s-", label="layer output distance (measured)")
ax.set(
    xlabel="inverse temperature $\\beta$",
    ylabel="mean over rows",
    title=f"Softmax $\\to$ hardmax, $d={cfg.d}$, $N={cfg.N}$",
    ylim=(None, 3),
)
ax.legend(loc="lower left", fontsize=9)
fig.tight_layout()
page.figure("fig_softmax_hardmax", fig)

# %% [markdown]
# The measured distance stays below the bound, at most {glue:text}`l1_over_bound_max:.2f` of it,
# and falls as $\beta$ grows; neither is a finding. Where a row's winner is unique the distance *is*
# $2S/(1 + S)$ with $S = \sum_{j \ne j^*} e^{-\beta \Delta_j}$, at most $2S$ and decreasing in
# $\beta$, so both hold by the formula itself; the claims below are about how fast it falls.
#
# At small $\beta$ the bound's mean over rows exceeds 2 and says nothing (two probability vectors
# are never more than 2 apart in $\ell_1$), so the figure draws it only from
# $\beta$ = {glue:text}`beta_informative:g` on.
# The error falls monotonically, and for large $\beta$ like $1/\beta$ (fitted log-log slope
# {glue:text}`l1_slope:.2f`): the rows that converge last are those whose top two scores almost
# tie, and such near-ties have a density that does not vanish at zero gap. Constructions that need
# an exact lookup therefore keep a margin between the winning score and the rest.
#
# ## Claims
#
# Each claim is checked against the numbers computed above; a failure stops the page.

# %%
page.claim(
    "no head's score matrix has numerical rank above r (count over batch, heads and ranks)",
    above,
    "==",
    0,
    max_rank=max_rank,
    matrices=n_matrices,
)
page.claim(
    "random weights attain rank exactly r: no score matrix has rank below r (the bound is tight)",
    below,
    "==",
    0,
    min_rank=min_rank,
    matrices=n_matrices,
)
page.claim("at the largest beta, softmax is within 0.05 of hardmax in l1", l1[-1], "<", 0.05, l1=l1)
page.claim(
    "at the largest beta, the layer's output distance to hardmax is below 5% of the smallest beta's",
    out_err[-1] / out_err[0],
    "<",
    0.05,
    out_err=out_err,
)
page.claim(
    "for large beta the l1 distance decays like 1/beta (fitted log-log slope within 0.4 of -1)",
    abs(slope + 1),
    "<",
    0.4,
    slope=slope,
)
page.finish()
