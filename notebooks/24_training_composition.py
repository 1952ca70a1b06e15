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
# # Training: one layer against two on Comp_n
#
# The lower bound is about what one layer can *express*; this page asks what gradient descent
# *finds*. We train the theorem's model exactly as defined on page 23 (`SoftmaxTransformer`: a
# learned embedding table $p(i,\sigma)$, softmax heads with $W_q, W_k, W_v \in \mathbb{R}^{d\times d}$,
# $W_O$, residual, a ReLU output MLP), in two forms:
#
# - **on Comp_n, with $n$ outputs**: the MLP, read at the query token, has $n$ outputs trained
#   with cross-entropy, and the answer is their arg-max. The bound of page 22 does **not** apply
#   to these models: an MLP with $n$ outputs has $P \ge n$ parameters, so the readout's operation
#   count $t$ is at least $3n$ and the VC bound $4k(t + 2) \ge 12kn > n$ holds at every size. They
#   serve the comparison of one layer with two, not the bound.
# - **on Ind_n, with the theorem's single output**: one real output, read at an auxiliary token
#   after the input (its symbol is fixed, so the proof's sums split between the pointer and the
#   bits), trained with binary cross-entropy; the answer is its sign. Ind_n has split-VC
#   dimension exactly $n$ (page 21), so these are the models the VC bound on the MLP's size
#   $P$ (page 22) is about.
#
# Every step draws fresh uniform inputs (no train/test split); accuracy is measured
# on fresh inputs. All seeds of one configuration -- and, for the frontier, all MLP widths --
# train as one batched computation (stacked parameters; AdamW's update is per coordinate, so the
# models stay independent). No curriculum is used.
#
# Two experiments:
#
# 1. **Depth at fixed size**, on Comp_n. One and two layers with the same $d$, $H$ and output MLP
#    (so the same size $\max(H, d, P)$ in the theorem's sense; the second layer adds attention
#    parameters, which the theorem's size does not count), for $n$ in {glue:text}`cfg_ns`.
# 2. **The empirical frontier**, on Ind_n with one output. For one layer at fixed $d$, the
#    smallest output-MLP width whose best seed reaches {glue:text}`cfg_threshold` accuracy, for
#    $n$ in {glue:text}`cfg_frontier_ns`, against the VC bound's smallest $P$ for this readout
#    (page 22) and the $P$ of the explicit construction.
#
# All runs of the page (`attnlab.composition.one_vs_two_layers`) go to
# `attnlab.composition.training.train_groups` as one sweep: cached by configuration (an
# interrupted sweep resumes) and run in parallel on a Ray cluster when one is configured. Each
# model draws its own data (streams derived from its seed), so it learns the same whether it
# trains alone or batched with others.
# This page ran with profile {glue:text}`profile` and seed {glue:text}`seed` in
# {glue:text}`runtime`; at the quick profile's sizes everything is small (see the profile table)
# and the frontier in particular is only a sketch.

# %% tags=["parameters"]
profile = "quick"
seed = 0

# %%
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

import attnlab
from attnlab.composition import constructions
from attnlab.composition import one_vs_two_layers as experiment
from attnlab.composition import tasks as ct
from attnlab.composition import training as tr
from attnlab.composition.vc import min_mlp_params_vc
from attnlab.runtime.seeds import model_seeds
from attnlab.runtime.work import seconds_per_flop

page = attnlab.Page("24_training_composition", profile=profile, seed=seed)
cfg = page.cfg
sns.set_theme(context="notebook", style="whitegrid")
device = str(page.device())  # on CPU with the profile's threads
groups = experiment.page_configs(cfg, seed)  # every training run of the page, from its sizes
seeds = list(model_seeds(seed, cfg.seeds, "model"))  # derive_seed(seed, "model", i), per page seed
page.record("model_seeds", seeds)
page.record(
    "model_seed_rule",
    f"{len(seeds)} model seeds, derive_seed({seed}, 'model', i) for i < {len(seeds)}",
)

# the work of this profile, and its time estimated from one representative step on this device
typical = experiment.timed_config(cfg, seed)  # two layers at the largest n
page.work(
    experiment.planned_work(cfg),
    seconds_per_flop(tr.step_timer(typical, device), tr.step_flops(typical)),
    device,
)

# %% [markdown]
# All runs train in one sweep: section 1's and section 2's configurations together. Every
# trained model is a row of one table (tag, n, layers, MLP width, seed, results), read below
# by identity.

# %%
runs = tr.train_groups(groups, device, desc="Comp_n runs")

# %% [markdown]
# ## 1. One layer against two at fixed size
#
# $d$ = {glue:text}`cfg_d`, $H$ = {glue:text}`cfg_heads`, {glue:text}`cfg_mlp_width` ReLU units,
# {glue:text}`cfg_steps` AdamW steps of {glue:text}`cfg_batch` fresh inputs, learning rate
# {glue:text}`cfg_lr`, {glue:text}`model_seed_rule` (the page's results list them).

# %%
final = {(n, L): runs.values("final", tag="depth", n=n, layers=L) for n in cfg.ns for L in (1, 2)}
best = {(n, L): max(f) for (n, L), f in final.items()}
worst = {(n, L): min(f) for (n, L), f in final.items()}
base = {n: float(ct.most_frequent_value_accuracy(n)) for n in cfg.ns}  # exact (page 20)
n_max = max(cfg.ns)
gap_best = best[(n_max, 2)] - best[(n_max, 1)]
gap_worst = worst[(n_max, 2)] - best[(n_max, 1)]
page.record("n_max", n_max)
page.record("gap_best", 100 * gap_best)
page.record("gap_worst_two_layer", 100 * gap_worst)
page.record("best_acc", {f"n={n},L={L}": round(v, 4) for (n, L), v in best.items()})
page.record("worst_acc", {f"n={n},L={L}": round(v, 4) for (n, L), v in worst.items()})
page.record("one_layer_best_at_nmax", best[(n_max, 1)])
page.record("one_layer_best_by_n", {n: round(best[(n, 1)], 3) for n in cfg.ns}, label="n")
page.record("two_layer_best_at_nmax", best[(n_max, 2)])
page.record("plateau_at_nmax", base[n_max])
escape = tr.first_step_above(runs.select(tag="depth", n=n_max, layers=2), base[n_max] + 0.10)
page.record("escape_steps", escape)
for (n, L), f in final.items():
    print(f"n={n} layers={L}: final accuracy per seed {[round(a, 3) for a in f]}  (plateau {base[n]:.3f})")

fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.2))
ax = axes[0]
for L, c in ((1, "C0"), (2, "C3")):
    for i, row in enumerate(runs.select(tag="depth", n=n_max, layers=L)):
        ax.plot(
            row["eval_steps"],
            row["acc"],
            color=c,
            alpha=0.8,
            lw=1.2,
            label=f"{L} layer{'s' if L == 2 else ''}" if i == 0 else None,
        )
ax.axhline(base[n_max], color="k", ls=":", label="most frequent value of $h$")
ax.axhline(1 / n_max, color="grey", ls="--", label="chance $1/n$")
ax.set(
    xlabel="step",
    ylabel="accuracy (fresh inputs)",
    title=f"Comp$_n$, $n = {n_max}$: every seed",
    ylim=(0, 1.02),
)
ax.legend(fontsize=9)
ax = axes[1]
ns = np.array(cfg.ns)
for L, c in ((1, "C0"), (2, "C3")):
    ax.plot(
        ns, [best[(n, L)] for n in ns], "o-", color=c, label=f"{L} layer{'s' if L == 2 else ''} (best seed)"
    )
    ax.fill_between(ns, [worst[(n, L)] for n in ns], [best[(n, L)] for n in ns], color=c, alpha=0.15)
ax.plot(ns, [base[n] for n in ns], "k:", label="most frequent value of $h$")
ax.set(
    xticks=ns,
    xlabel="$n$",
    ylabel="final accuracy",
    title=f"Fixed size: $d={cfg.d}$, $H={cfg.heads}$, {cfg.mlp_width} ReLU units",
    ylim=(0, 1.02),
)
ax.legend(fontsize=9)
fig.tight_layout()
page.figure("fig_depth", fig)

# %% [markdown]
# At $n$ = {glue:text}`n_max` the best two-layer model reaches {glue:text}`two_layer_best_at_nmax:.3f`
# and the best one-layer model {glue:text}`one_layer_best_at_nmax:.3f`, next to the
# "most frequent value of $h$" level {glue:text}`plateau_at_nmax:.3f`: a gap of
# {glue:text}`gap_best:.1f` accuracy points (best of seeds; even the worst two-layer seed is
# {glue:text}`gap_worst_two_layer:.1f` points above the best one-layer seed). The two-layer runs
# sit near that level before they find the two-hop lookup (left panel): they first measure 10
# points above it at steps {glue:text}`escape_steps` (one entry per seed; measured every
# {glue:text}`cfg_eval_every` steps). One layer learns the smaller $n$ (best one-layer seed by
# $n$: {glue:text}`one_layer_best_by_n`) and stalls near that level at the largest. The
# Strassen-attention paper reports the same contrast at its larger sizes ($n$ from 25 to 30):
# standard one-layer attention fails on composition, two layers do better
# {cite}`kozachinskiy2025strassen`.
#
# ## 2. The empirical frontier for one layer, on Ind_n
#
# For each $n$ in {glue:text}`cfg_frontier_ns`, one-layer models with a single output and
# output-MLP widths {glue:text}`cfg_widths` ({glue:text}`cfg_frontier_steps` steps, the same $d$
# and $H$) train together on Ind_n; we report the smallest width whose best seed reaches the
# threshold, and its parameter count $P$. Chance is $1/2$. The VC bound applies to exactly these
# models: below its smallest $P$ no such model computes Ind_n, whatever its weights.

# %%
frontier = {n: experiment.frontier(runs, n, cfg.threshold) for n in cfg.frontier_ns}
for n, f in frontier.items():
    print(
        f"n={n}: best accuracy by width { ({w: round(a, 3) for w, (P, a) in f['by_width'].items()}) } -> smallest width reaching {cfg.threshold}: {f['width']}"
    )
page.record("frontier_width", {n: f["width"] for n, f in frontier.items()})
page.record("frontier_P", {n: f["P"] for n, f in frontier.items()})
page.record("vc_P", {int(n): max(min_mlp_params_vc(int(n), cfg.d, cfg.heads), 1) for n in cfg.frontier_ns})
page.record(
    "construction_P",
    {int(n): constructions.one_layer_mlp_params(int(n)) for n in cfg.frontier_ns},
)

fig, ax = plt.subplots(figsize=(7, 4.3))
ns_f = np.array(cfg.frontier_ns)
ns_dense = np.arange(2, max(ns_f) + 1)
vc_P = [max(min_mlp_params_vc(int(n), cfg.d, cfg.heads), 1) for n in ns_dense]
ax.semilogy(ns_dense, vc_P, "k-", lw=2, label=f"VC lower bound on $P$ ($d={cfg.d}$, $H={cfg.heads}$)")
ax.semilogy(
    ns_dense,
    [constructions.one_layer_mlp_params(int(n)) for n in ns_dense],
    "C2--",
    label="explicit one-layer construction's $P$ ($d=3n+7$, via Comp$_n$)",
)
got = [(n, f["P"]) for n, f in frontier.items() if f["P"] is not None]
miss = [n for n, f in frontier.items() if f["P"] is None]
if got:
    ax.semilogy(
        *zip(*got, strict=True),
        "o",
        color="C3",
        ms=9,
        label=f"trained, smallest $P$ reaching {cfg.threshold:.0%} (best seed)",
    )
for n in miss:
    ax.semilogy(
        [n],
        [max(by[0] for by in frontier[n]["by_width"].values())],
        "x",
        color="C3",
        ms=10,
        label="not reached with the widest MLP tried",
    )
ax.set(
    xticks=ns_dense,
    xlabel="$n$",
    ylabel="output-MLP parameters $P$",
    title="One layer, one output, Ind$_n$: how big the output MLP must be",
)
ax.legend(fontsize=8)
fig.tight_layout()
page.figure("fig_frontier", fig)

# %% [markdown]
# Smallest $P$ reaching the threshold, by $n$: {glue:text}`frontier_P` (`None`: not reached
# with the widest MLP tried); the VC bound's smallest $P$ is {glue:text}`vc_P` and the explicit
# construction's {glue:text}`construction_P`. The construction solves Comp_n with $d = 3n + 7$
# and, through the reduction of page 20 (one threshold neuron more), Ind_n; the trained models
# keep $d$ fixed, so its curve is a reference, not a bound. The VC bound stays at its floor for
# these small $n$ (it only bites for astronomically large $n$, page 22): what it allows is far
# below what gradient descent finds here. At this profile's few steps the trained frontier is a
# sketch; how it grows with $n$ needs the laptop or paper profile.
#
# ## Claims
#
# The frontier is reported, not asserted: at this profile it is a sketch.

# %%
page.claim(
    f"at n = {n_max}, a trained two-layer model beats a trained one-layer model of equal size (best of seeds; accuracy gap)",
    gap_best,
    ">=",
    0.20,
    best=best,
)
page.claim(
    f"at n = {n_max}, the best one-layer model stays near the most-frequent-value level (accuracy above it)",
    best[(n_max, 1)] - base[n_max],
    "<=",
    tr.PLATEAU_TOLERANCE,
    one_layer=best[(n_max, 1)],
    plateau=base[n_max],
)
page.claim(
    "two layers learn Comp_n at every n of the profile (error rate of the best seed, worst n)",
    max(1 - best[(n, 2)] for n in cfg.ns),
    "<=",
    0.05,
    best_two_layer={n: best[(n, 2)] for n in cfg.ns},
)
page.finish()
