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
#

# %% [markdown]
# # Training: full rank wins, more heads do not help
#
# The theory says one full-rank head represents the nearest-neighbour target and low-rank heads
# cannot, however many. Do trained transformers see the difference? The authors train a stock
# encoder (post-norm; both LayerNorms replaced by $s\,x/\lVert x\rVert$ with a learnable scalar
# $s$; a ReLU feed-forward layer; no dropout) on the **farthest-neighbour** task: $N$ points
# uniform on $S^{d-1}$, the label at position $i$ is $x_{\arg\min_j\langle x_j, x_i\rangle}$. With
# model width $d$ and $H$ heads per attention module the rank is $r = d/H$, so the attention
# parameters do not depend on the rank; the *width multiplier* $c$ averages $c$ such modules
# ($c\cdot H$ heads, $\approx 4cd^2$ parameters), to give low-rank models *more* parameters than
# the full-rank one.
#
# Recipe (as the authors'): AdamW with betas (0.9, 0.95) and no weight decay, linear warm-up
# over the first 1/20 of training then cosine decay to 0 (the authors' scheduler moves the rate
# once per epoch and starts the warm-up at 0; ours follows the same curve step by step), fresh
# samples every step, loss = squared
# error per point summed over coordinates (so the zero predictor scores 1). The number reported
# is the minimum over epochs (blocks of {glue:text}`steps_per_epoch` steps) of the epoch-mean
# loss, best over seeds. All models of one shape train together in one batched pass
# (`attnlab.encoder.BatchedEncoder`), and each finished configuration is cached, so an
# interrupted run resumes where it stopped.
#
# **Sizes.** The paper uses $d = 64$, feed-forward width 2048, batch 256, $10^5$ steps
# (figN: $2\cdot 10^5$), five seeds, on a GPU. This page ran with profile {glue:text}`profile`:
# $d$ = {glue:text}`d`, feed-forward width {glue:text}`ff`, batch {glue:text}`batch`,
# {glue:text}`steps` steps, {glue:text}`n_seeds` seed(s) per configuration, in {glue:text}`runtime`.
# The paper's values are drawn on the same axes against the *relative* rank $r/d$, the quantity
# the theory is about, since our $d$ is smaller.

# %% tags=["parameters"]
profile = "quick"
seed = 0

# %%
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import torch

import attnlab
from attnlab import neighbors, reported
from attnlab.train import TrainConfig, run_cached

page = attnlab.Page("12_training_rank_heads", profile=profile, seed=seed)
cfg = page.cfg
device = attnlab.default_device()
if cfg.threads and device.type == "cpu":
    torch.set_num_threads(cfg.threads)  # the profile's choice (quick: both CI cores)
sns.set_theme(context="notebook", style="whitegrid")
for name in ("d", "ff", "batch", "steps", "steps_per_epoch"):
    page.record(name, getattr(cfg, name))
page.record("n_seeds", cfg.seeds)
seeds = tuple(1000 * seed + j for j in range(cfg.seeds))  # replicate j of this page's seed

results = {}  # (tag, N, layers, c, positional, rank) -> {"metric": [per seed], "qk_angle": [...], ...}


def train_group(
    N, layers, c, ranks, *, positional="none", pos_dim=None, lr=None, steps=None, batch=None, tag="fig1"
):
    """Train every (rank, seed) of one shape in one batched pass; file the results by model."""
    ranks_k = tuple(r for r in ranks for _ in seeds)
    seeds_k = tuple(s for _ in ranks for s in seeds)
    tc = TrainConfig(
        d=cfg.d,
        N=N,
        ranks=ranks_k,
        seeds=seeds_k,
        layers=layers,
        c=c,
        ff=cfg.ff,
        positional=positional,
        pos_dim=pos_dim,
        batch=batch or cfg.batch,
        steps=steps or cfg.steps,
        steps_per_epoch=cfg.steps_per_epoch,
        lr=lr or cfg.lr,
    )
    desc = f"N={N} L={layers} c={c} {positional} r={ranks}"
    out = run_cached(tc, device, desc=desc)
    for j, r in enumerate(ranks_k):
        entry = results.setdefault(
            (tag, N, layers, c, positional, r), {"metric": [], "qk_angle": [], "qk_scale": []}
        )
        for key in entry:
            entry[key].append(out[key][j])
    return out


def best(N, layers, c, r, positional="none", tag="fig1"):
    """The paper's number: best over seeds of (min over epochs of the epoch-mean loss)."""
    return min(results[tag, N, layers, c, positional, r]["metric"])


# %% [markdown]
# ## 1. fig1: one layer, every rank, more heads
#
# The x-alone baseline is the best predictor that sees only $x_i$ (by symmetry $-m\,x_i$ with
# $m = \mathbb{E}[-\langle x_{\text{far}}, x_i\rangle]$, error $1 - m^2$, by Monte Carlo): a model
# that learned nothing about the other points cannot beat it.

# %%
f1 = cfg.fig1
for layers, c, ranks in f1["groups"]:
    train_group(f1["N"], layers, c, ranks)
x_alone = {
    N: neighbors.x_alone_baseline(N, cfg.d, samples=cfg.baseline_samples, seed=seed)["mse"]
    for N in sorted({f1["N"], *cfg.figN["Ns"]})
}
full = best(f1["N"], 1, 1, cfg.d)
low_rank = {
    (layers, c, r): best(f1["N"], layers, c, r)
    for layers, c, ranks in f1["groups"]
    for r in ranks
    if layers == 1 and r < cfg.d
}
attn_params = {c: 4 * c * cfg.d**2 for _, c, _ in f1["groups"]}
page.record("fig1_full_rank", full)
page.record("fig1_best_low_rank", min(low_rank.values()))
page.record("fig1_ratio", min(low_rank.values()) / full)
page.record("x_alone_N16", x_alone[f1["N"]])

fig, ax = plt.subplots(figsize=(8, 5))
for j, (layers, c, ranks) in enumerate(f1["groups"]):
    rs = sorted(ranks)
    ax.plot(
        [r / cfg.d for r in rs],
        [best(f1["N"], layers, c, r) for r in rs],
        "o-",
        color=f"C{j}",
        ms=7,
        label=f"ours: $L={layers}$, $c={c}$ ({4 * c}$d^2$ attention params)",
    )
for j, ((_, label), vals) in enumerate((k, v) for k, v in reported.FIG1.items() if k[0] == 1):
    rs = sorted(vals)
    ax.plot(
        [r / 64 for r in rs],
        [vals[r] for r in rs],
        "s--",
        color="grey",
        alpha=0.4 + 0.2 * j,
        ms=4,
        label=f"paper $d=64$: $L=1$, {label} params",
    )
ax.axhline(1.0, color="k", ls=":", label="zero predictor (1)")
ax.axhline(x_alone[f1["N"]], color="C3", ls="-.", lw=1, label="best from $x_i$ alone")
ax.set(
    xscale="log",
    yscale="log",
    xlabel="relative rank $r/d$",
    ylabel="error (min over epochs)",
    title=f"fig1: farthest neighbour, $N={f1['N']}$, one layer",
)
ax.set_xscale("log", base=2)
ax.legend(fontsize=8, loc="lower left")
fig.tight_layout()
page.figure("fig1_rank_vs_heads", fig)

# %% [markdown]
# Full rank reaches {glue:text}`fig1_full_rank:.3f`; the best low-rank model, including the ones
# with several times the attention parameters, reaches {glue:text}`fig1_best_low_rank:.3f`,
# {glue:text}`fig1_ratio:.1f` times worse. (For scale: a predictor that sees only $x_i$ and
# ignores the other points scores {glue:text}`x_alone_N16:.2f`; only the largest low ranks get
# clearly below it.) The paper's curves
# have the same shape at $d = 64$ and $10^5$ steps, with a sharper drop at full rank: longer
# training lowers the full-rank error (theirs: 0.015 at $c = 1$), not the low-rank plateau.
#
# ## 2. The learned full-rank head is the construction
#
# The full-rank one-layer model has a single head ($H = d/r = 1$). Its bilinear form
# $W_q W_k^\top$ should approach $-\lambda I$, the farthest-neighbour construction of page 10.

# %%
angles = results["fig1", f1["N"], 1, 1, "none", cfg.d]["qk_angle"]
scales = results["fig1", f1["N"], 1, 1, "none", cfg.d]["qk_scale"]
page.record("qk_angle", max(angles))
page.record("qk_scale", scales[int(np.argmax(angles))])

# %% [markdown]
# The angle between the learned $W_q W_k^\top$ and $I$ is {glue:text}`qk_angle:.1f`°
# ($180°$ = exactly $-\lambda I$; the paper reports 168–180°), with
# $\lambda = -\mathrm{tr}(W_q W_k^\top)/d$ = {glue:text}`qk_scale:.1f`: gradient descent finds the
# construction.
#
# ## 3. figN: the penalty of low rank grows with $N$
#
# The raw error of a low-rank model need not grow with $N$, because the task changes: with more
# points the farthest one is more nearly $-x_i$, so even the x-alone predictor improves. The
# fair measure is how far a model gets *below* the x-alone baseline. (The paper's figN uses two
# layers and $c = 64$; the quick profile keeps one layer and $c = 1$ and scales the batch as
# {glue:text}`figN_points` points per step.)

# %%
fN = cfg.figN
page.record("figN_points", fN["points"] or f"{cfg.batch} sequences")
for N in fN["Ns"]:
    batch = (fN["points"] // N) if fN["points"] else cfg.batch
    same = (batch, fN["lr"], fN["steps"]) == (cfg.batch, cfg.lr, cfg.steps)
    done = [r for r in fN["ranks"] if same and ("fig1", N, fN["layers"], fN["c"], "none", r) in results]
    for r in done:  # the same models (same seeds, data and sizes) were trained for fig1: reuse them
        results["figN", N, fN["layers"], fN["c"], "none", r] = results[
            "fig1", N, fN["layers"], fN["c"], "none", r
        ]
    missing = tuple(r for r in fN["ranks"] if r not in done)
    if missing:
        train_group(
            N, fN["layers"], fN["c"], missing, lr=fN["lr"], steps=fN["steps"], batch=batch, tag="figN"
        )
low_r = min(fN["ranks"])
err_N = {r: np.array([best(N, fN["layers"], fN["c"], r, tag="figN") for N in fN["Ns"]]) for r in fN["ranks"]}
base_N = np.array([x_alone[N] for N in fN["Ns"]])
gain_N = base_N - err_N[low_r]  # how far the low-rank model gets below the x-alone baseline
page.record("figN_low_rank", low_r)
page.record("figN_gain", {N: round(float(g), 3) for N, g in zip(fN["Ns"], gain_N, strict=True)})
page.record("figN_full", {N: round(float(v), 3) for N, v in zip(fN["Ns"], err_N[cfg.d], strict=True)})

fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
ax = axes[0]
for j, r in enumerate(sorted(fN["ranks"], reverse=True)):
    ax.plot(fN["Ns"], err_N[r], "o-", color=f"C{j}", label=f"ours $r/d = {r}/{cfg.d}$")
    paper_r = 64 * r // cfg.d
    if paper_r in reported.FIGN[16]:
        Ns_p = sorted(reported.FIGN)
        ax.plot(
            Ns_p,
            [reported.FIGN[n][paper_r] for n in Ns_p],
            "s--",
            color=f"C{j}",
            alpha=0.5,
            label=f"paper $r = {paper_r}/64$ ($L=2$, $c=64$)",
        )
ax.plot(fN["Ns"], base_N, "k-.", lw=1, label="best from $x_i$ alone")
ax.axhline(1.0, color="k", ls=":", label="zero predictor (1)")
ax.set(xscale="log", yscale="log", xlabel="$N$", ylabel="error", title="figN: error against $N$")
ax.set_xscale("log", base=2)
ax.legend(fontsize=8)
ax = axes[1]
ax.plot(fN["Ns"], gain_N, "o-", color="C1", label=f"x-alone baseline $-$ rank {low_r} model")
ax.plot(fN["Ns"], base_N - err_N[cfg.d], "o-", color="C0", label="x-alone baseline $-$ full-rank model")
ax.axhline(0, color="k", lw=0.8)
ax.set(
    xscale="log",
    xlabel="$N$",
    ylabel="improvement over the x-alone baseline",
    title="What the attention layer adds",
)
ax.set_xscale("log", base=2)
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Full rank stays small for every $N$ ({glue:text}`figN_full`), while the rank-
# {glue:text}`figN_low_rank` model's improvement over the x-alone baseline shrinks as $N$ grows
# ({glue:text}`figN_gain`): with more points, a low-rank comparison of $x_i$ against the others
# says less and less about which one is farthest. The paper's curves (two layers, $c = 64$) show
# the same ordering with a larger spread.
#
# ## 4. fig3: positional encodings and depth
#
# The depth theorem (page 13) gives low-rank heads scratch space through *concatenated*
# positional coordinates. The authors' fig3 compares no positional encoding, a learned additive
# table and learned concatenated coordinates (output cropped to the first $d$). The profile
# trains the configurations below; we report them without a claim, because at the quick size the
# effect is within seed-to-seed noise.

# %%
f3 = cfg.fig3


def fig3_ranks(pos):
    """The profile's ranks; with concatenated coordinates optionally also the widened model's
    full rank ``d + pos_dim`` (one head), as in the authors' sweep."""
    if pos == "concatenated" and f3.get("widened_full_rank", False):
        return (cfg.d + f3["pos_dim"], *f3["ranks"])
    return tuple(f3["ranks"])


for layers in f3["layers"]:
    for pos in f3["positional"]:
        train_group(
            f3["N"],
            layers,
            f3["c"],
            fig3_ranks(pos),
            positional=pos,
            pos_dim=f3["pos_dim"] if pos == "concatenated" else None,
            lr=f3.get("lr"),
            steps=f3.get("steps"),
            tag="fig3",
        )
fig3_table = {
    f"L={layers}, {pos}, r={r}": best(f3["N"], layers, f3["c"], r, pos, tag="fig3")
    for layers in f3["layers"]
    for pos in f3["positional"]
    for r in fig3_ranks(pos)
}
page.record("fig3", {k: round(v, 3) for k, v in fig3_table.items()})
fig, ax = plt.subplots(figsize=(7, 3.8))
ax.barh(list(fig3_table), list(fig3_table.values()), color="C2")
ax.axvline(1.0, color="k", ls=":", label="zero predictor")
ax.axvline(x_alone[f3["N"]], color="C3", ls="-.", label="x-alone baseline")
ax.axvline(full, color="C0", ls="--", label="one layer, full rank")
ax.set(xlabel="error", title=f"fig3: positional encodings, $N={f3['N']}$, $c={f3['c']}$")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# Errors: {glue:text}`fig3`. In the paper, three layers with concatenated encodings let low
# rank succeed at $d = 64$; the `paper` profile reruns that with the authors' settings for this
# figure (their configuration files {cite}`amsel2024code`: learning rate 0.005, $2\cdot10^5$ steps, 64 concatenated
# coordinates, so a 128-wide model whose full-rank head is included; $c = 8$, where their sweep
# also ran $c = 1$). Concatenated coordinates start uniform on $[-1, 1]$ as in the authors'
# code; the additive table, whose initialisation we did not find there, starts at
# $0.1\,\mathcal N(0, 1)$.
#
# ## Claims

# %%
page.claim(
    "one layer: full rank beats every low-rank model by >= 3x, including low-rank models with more parameters",
    all(v >= 3 * full for v in low_rank.values()),
    full_rank=full,
    low_rank={f"L={k[0]}, c={k[1]}, r={k[2]}": v for k, v in low_rank.items()},
    attention_params=attn_params,
)
page.claim(
    "some low-rank model compared has more attention parameters than the full-rank c=1 model",
    any(c > 1 for (_, c, _) in low_rank),
    configurations=list(low_rank),
)
page.claim(
    "the trained full-rank head's W_q W_k^T is within 30 degrees of -I (angle to I >= 150)",
    min(angles) >= 150,
    angles=angles,
    scales=scales,
)
page.claim(
    "fixed low rank: the improvement over the x-alone baseline shrinks as N grows",
    bool(np.all(np.diff(gain_N) < 0)),
    gain=gain_N,
    Ns=fN["Ns"],
)
page.claim(
    "full rank stays small for every N (error < 0.25) and beats the low-rank model at every N by >= 2x",
    bool(np.all(err_N[cfg.d] < 0.25) and np.all(err_N[low_r] >= 2 * err_N[cfg.d])),
    full=err_N[cfg.d],
    low=err_N[low_r],
)
page.finish()
