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
# # Does depth rescue low rank at long context?
#
# Amsel, Yehudai and Bruna show that for short contexts depth lets rank-1 heads approximate the
# nearest neighbour. Page 13 executed a two-layer rank-1 circuit for $N = 2$ built on their
# majority-vote idea, with concatenated positional coordinates as scratch space. One rank-1 layer
# would need exponentially many heads there. For longer contexts the authors leave an open
# question. Their arXiv abstract (v1) says: *"Moreover,
# we prove that, for short context lengths, adding depth allows the target to be approximated by
# low-rank attention. For long contexts, we conjecture that full-rank attention is necessary."*
# The ICLR 2025 version adds the depth explicitly: *"for long sequences, we conjecture that
# full-rank attention is necessary regardless of depth"* {cite}`amsel2024rank`. We could read the
# abstracts, not the paper's formal statement of the conjecture or of its depth theorem, so we
# test the abstracts' wording.
#
# **The experiment.** It is page 12's, on the farthest-neighbour task, with two things changed:
# the depth $L = 1, 2, 3$ and the context $N$. For every pair $(L, N)$, one batched run trains the
# full-rank model ($r = d$, one head), rank $r = d/4$ (4 heads) and rank 1 ($d$ heads), with
# {glue:text}`cfg_replicates` seed(s) each. The attention parameters do not depend on the rank.
# Every model gets the **same budget**: {glue:text}`cfg_steps` steps of {glue:text}`cfg_points` points
# each (so $N \times$ batch is fixed and a longer context means fewer sequences). The learning
# rate is {glue:text}`lr`: the one-layer rate made the deeper models diverge while we sized the
# page (they diverged or stalled). The recipe is page 12's default protocol: fresh data every
# step, AdamW, warm-up then cosine. Every number below is a **held-out** error on
# fresh instances, best over the replicates (where there are several) as the paper reports. Sizes: $d$ =
# {glue:text}`cfg_d`, feed-forward width {glue:text}`cfg_ff`, no positional encoding (the task does not
# depend on the order of the points). Page 13's construction needs concatenated positional
# coordinates; page 12 trains such models at $N = 16$. They are left out here to keep the budget.
#
# **The measure.** The conjecture is about a gap, so the page plots the **error ratio**: a
# low-rank model's error over the error of the full-rank model *of the same depth*. A ratio near
# 1 means that at this depth rank no longer matters. For scale, the page also shows the x-alone
# baseline (page 12): the best prediction from $x_i$ alone, which ignores the other points. It
# falls with $N$, because with more points the farthest one is closer to $-x_i$.
#
# **What this can and cannot show.** A conjecture about *all* $N$ and *all* depths cannot be
# confirmed by finitely many runs. Two things get in the way:
#
# * **Finite $N$.** If the ratio at $L = 3$ still grows with $N$, that agrees with the conjecture.
#   It does not prove it: a deeper or wider low-rank model, or a longer context, might behave
#   differently.
# * **Finite training.** A ratio that stays large can also mean that the low-rank models have
#   not *found* a solution that exists. Training fails more easily with depth, and our budget is
#   small.
#
# A ratio that shrinks has the same problem. It may mean that depth helps low rank, or that the
# full-rank model of that depth trains worse. So the raw errors are shown beside the ratios.
# What the page can show is narrower: at these sizes and this budget, whether depth closes the
# low-rank gap at the shortest and at the longest context, and it claims only those directions.
#
# This page ran with profile {glue:text}`profile` in {glue:text}`runtime`.

# %% tags=["parameters"]
profile = "quick"
seed = 0

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

import attnlab
from attnlab.rank import depth, tasks
from attnlab.rank.runs import train_groups
from attnlab.rank.train import step_timer
from attnlab.runtime.work import seconds_per_flop

page = attnlab.Page("15_depth_long_context", profile=profile, seed=seed)
cfg = page.cfg
device = page.device()  # on CPU with the profile's threads
sns.set_theme(context="notebook", style="whitegrid")
page.record("Ns", ", ".join(map(str, cfg.Ns)))
page.record("lr", ", ".join(f"{cfg.lr[L]} at $L = {L}$" for L in sorted(cfg.layers)))
full_rank, ranks = cfg.d, tuple(cfg.ranks)
low_ranks = tuple(r for r in ranks if r != full_rank)

# %% [markdown]
# ## 1. Training: one batched run per depth and context
#
# Each run holds the {glue:text}`n_models` models of one $(L, N)$: every rank, every replicate.
# All runs are submitted together (on a cluster they train in parallel), and finished runs are
# cached, so an interrupted sweep resumes where it stopped.

# %%
groups = depth.groups(cfg, seed)
first = groups[0][1]
page.record("n_models", first.K)
page.work(depth.planned_work(cfg), seconds_per_flop(step_timer(first, device), first.step_flops()), device)
runs = train_groups(groups, device, namespace="depth_long_context", desc="depth x context")
errors = depth.heldout_errors(runs)  # (L, N, r) -> held-out error of each replicate
ms_per_step = {(row["layers"], row["N"]): row["ms_per_step"] for row in runs.rows}

x_alone = {
    N: tasks.x_alone_baseline(N, cfg.d, samples=cfg.baseline_samples, seed=seed)["mse"] for N in cfg.Ns
}
best = depth.summarize(errors, "min")  # best over replicates, as the paper reports
ratio = depth.error_ratio(best, full_rank)
# the share of the way from the baseline to full rank, where the full-rank model beats the baseline
learned = {(L, N) for (L, N, r), e in best.items() if r == full_rank and e < x_alone[N]}
closed = depth.gap_closed({k: v for k, v in best.items() if k[:2] in learned}, full_rank, x_alone)
Ls, Ns = sorted(cfg.layers), sorted(cfg.Ns)
N_min, N_max = Ns[0], Ns[-1]

# %% [markdown]
# ## 2. The error ratio against $N$, by depth
#
# Left: the low-rank / full-rank error ratio (solid lines: $r = d/4$; dashed lines: $r = 1$), one
# colour per depth; the dotted line at 1 marks "rank does not matter". Right: the errors behind
# the ratios, with the x-alone baseline.

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
styles = {r: s for r, s in zip(low_ranks, ("o-", "s--", "^:"), strict=False)}
ax = axes[0]
for j, L in enumerate(Ls):
    for r in low_ranks:
        x, y = depth.series(ratio, L, r)
        ax.plot(x, y, styles[r], color=f"C{j}", label=f"$L={L}$, $r={r}$")
ax.axhline(1.0, color="k", ls=":", lw=1)
ax.set(xscale="log", yscale="log", xlabel="context $N$", ylabel="low-rank error / full-rank error")
ax.set_xscale("log", base=2)
ax.set_xticks(Ns, [str(N) for N in Ns])
ax.set_title("error ratio, same depth")
ax.legend(fontsize=8, ncol=len(Ls))
ax = axes[1]
for j, L in enumerate(Ls):
    for r in ranks:
        x, y = depth.series(best, L, r)
        style = "D-" if r == full_rank else styles[r]
        ax.plot(
            x, y, style, color=f"C{j}", ms=5, alpha=1.0 if r == full_rank else 0.7, label=f"$L={L}$, $r={r}$"
        )
ax.plot(Ns, [x_alone[N] for N in Ns], "k-.", lw=1.5, label="best from $x_i$ alone")
ax.axhline(1.0, color="k", ls=":", lw=1, label="zero predictor (1)")
ax.set(xscale="log", yscale="log", xlabel="context $N$", ylabel="held-out error")
ax.set_xscale("log", base=2)
ax.set_xticks(Ns, [str(N) for N in Ns])
ax.set_title("errors (diamonds: full rank)")
ax.legend(fontsize=7, ncol=3, loc="lower left")
fig.tight_layout()
page.figure("depth_ratio_vs_N", fig)

# %%
table = pd.DataFrame(
    [
        {
            "L": L,
            "N": N,
            "x-alone": x_alone[N],
            **{f"error r={r}": best[L, N, r] for r in ranks},
            **{f"ratio r={r}": ratio[L, N, r] for r in low_ranks},
            **{f"gap closed r={r}": closed.get((L, N, r), float("nan")) for r in low_ranks},
        }
        for L in Ls
        for N in Ns
    ]
).set_index(["L", "N"])
page.record("table", table.round(3).reset_index().to_dict(orient="records"))
table.round(3)

# %% [markdown]
# The "gap closed" columns give the share of the way from the x-alone baseline down to the
# full-rank model of the same depth that a low-rank model covers: 1 means as good as full rank,
# 0 means no better than ignoring the other points (blank where the full-rank model does not beat
# the baseline).
#
# ## 3. What depth does at the shortest and the longest context

# %%
r_mid = max(low_ranks)  # r = d/4
deep = [L for L in Ls if L > 1]
ratio_min_N = {L: {r: ratio[L, N_min, r] for r in low_ranks} for L in Ls}
ratio_max_N = {L: {r: ratio[L, N_max, r] for r in low_ranks} for L in Ls}
# one layer: the smallest low-rank / full-rank ratio over every N and low rank
one_layer_min_ratio = min(ratio[1, N, r] for N in Ns for r in low_ranks)
# one layer: the share of the baseline-to-full-rank way a low-rank model covers, N_max over N_min
nan = float("nan")  # where full rank did not beat the baseline, the share is undefined (a claim on it fails)
closed_fall = {r: closed.get((1, N_max, r), nan) / closed.get((1, N_min, r), nan) for r in low_ranks}
# shortest context: how much the best deeper model narrows the one-layer gap (> 1: narrower) ...
narrowing = {r: ratio[1, N_min, r] / min(ratio[L, N_min, r] for L in deep) for r in low_ranks}
# ... and what happened to the errors: deeper low rank over one-layer low rank (< 1: depth helped)
deep_low_vs_one = {(L, r): best[L, N_min, r] / best[1, N_min, r] for L in deep for r in low_ranks}
# deeper full rank over one-layer full rank (> 1: the deeper full-rank model trained worse)
deep_full_vs_one = {L: best[L, N_min, full_rank] / best[1, N_min, full_rank] for L in deep}
# longest context: the best low-rank model of any depth against the best full-rank model of any depth
best_full_max_N = min(best[L, N_max, full_rank] for L in Ls)
best_low_max_N = min(best[L, N_max, r] for L in Ls for r in low_ranks)
closest_max_N = min(ratio_max_N[L][r] for L in Ls for r in low_ranks)  # same depth
for name, value in (
    ("N_min", N_min),
    ("N_max", N_max),
    ("r_mid", r_mid),
    ("one_layer_min_ratio", one_layer_min_ratio),
    ("closed_fall", max(closed_fall.values())),
    ("closed_1_min", closed.get((1, N_min, r_mid), nan)),
    ("closed_1_max", closed.get((1, N_max, r_mid), nan)),
    ("narrowing", min(narrowing.values())),
    ("deep_low_vs_one", min(deep_low_vs_one.values())),
    ("deep_full_vs_one", min(deep_full_vs_one.values())),
    ("best_full_max_N", best_full_max_N),
    ("best_low_max_N", best_low_max_N),
    ("low_vs_full_any_depth", best_low_max_N / best_full_max_N),
    ("closest_max_N", closest_max_N),
    ("x_alone_max_N", x_alone[N_max]),
    ("full_deepest_max_N", best[Ls[-1], N_max, full_rank]),
):
    page.record(name, value)
page.record(
    "ratio_min_N", {f"L={L}": {f"r={r}": round(v, 2) for r, v in d_.items()} for L, d_ in ratio_min_N.items()}
)
ratio_max_N_text = page.record(
    "ratio_max_N", {f"L={L}": {f"r={r}": round(v, 2) for r, v in d_.items()} for L, d_ in ratio_max_N.items()}
)

# %% [markdown]
# **One layer.** Full rank beats both low ranks at every $N$, by a factor of at least
# {glue:text}`one_layer_min_ratio:.1f`. The ratio itself need not grow with $N$: at a fixed
# budget the full-rank model also gets worse as $N$ grows. The low-rank models gain less and less
# over the x-alone baseline. Rank {glue:text}`r_mid` covers {glue:text}`closed_1_min:.2f` of the
# way from the baseline to full rank at $N$ = {glue:text}`N_min`, and {glue:text}`closed_1_max:.2f`
# at $N$ = {glue:text}`N_max`.
#
# **The shortest context.** At $N$ = {glue:text}`N_min` depth narrows the same-depth ratio: the
# best deeper model's ratio is at least {glue:text}`narrowing:.1f` times smaller than one
# layer's (per depth: {glue:text}`ratio_min_N`). This is **not** depth rescuing low rank. No
# deeper low-rank model has a lower error than the one-layer low-rank model of the same rank
# (deeper / one layer $\geq$ {glue:text}`deep_low_vs_one:.2f`). The gap narrows because the
# deeper *full-rank* models train worse: their errors are at least
# {glue:text}`deep_full_vs_one:.1f` times the one-layer full-rank error. At this budget, depth
# makes training harder before it adds anything. Page 13's construction shows that depth *can*
# help low rank at short context, but our training does not find such a solution.
#
# **The longest context.** At $N$ = {glue:text}`N_max` the best low-rank model of any depth
# ({glue:text}`best_low_max_N:.3f`) is still {glue:text}`low_vs_full_any_depth:.1f` times the
# error of the best full-rank model ({glue:text}`best_full_max_N:.3f`), so depth does not close
# the gap to full rank. Within one depth the ratio comes close to 1 (smallest
# {glue:text}`closest_max_N:.2f`; per depth: {glue:text}`ratio_max_N`). The reason is that at
# $L$ = 3 the full-rank model itself ends near the x-alone baseline
# ({glue:text}`full_deepest_max_N:.3f` against {glue:text}`x_alone_max_N:.3f`). When neither
# model has learned the task, their ratio says nothing about rank. This is the finite-training
# caveat above, measured. The quick profile cannot tell whether deep low-rank models fall short
# of deep full-rank ones at long context. It shows only that, at this budget, no deep model
# does better than one full-rank layer. The laptop and paper profiles train longer and further in
# $N$.

# %% [markdown]
# ## Claims
#
# How each claim fares on other seeds is the ledger's business (page 95). The directions that
# are not robust, or not interpretable, at this size are shown above and not claimed. These are the same-depth ratio at long context for $L \geq 2$, and
# whether the one-layer ratio grows with $N$.

# %%
page.claim(
    "one layer: full rank beats both low ranks at every N by a factor of at least 1.5 (held-out error)",
    one_layer_min_ratio,
    ">=",
    1.5,
    ratio={f"N={N}, r={r}": ratio[1, N, r] for N in Ns for r in low_ranks},
)
page.claim(
    "one layer: at the smallest N every low-rank model covers part of the way from x-alone to full rank "
    "(smallest share > 0), so the ratio below compares real progress",
    min(closed.get((1, N_min, r), nan) for r in low_ranks),
    ">",
    0.0,
    share={f"r={r}": closed.get((1, N_min, r), nan) for r in low_ranks},
)
page.claim(
    "one layer: the share of the x-alone-to-full-rank way a low-rank model covers at the largest N is "
    "at most 0.6 of its share at the smallest N (every low rank)",
    max(closed_fall.values()),
    "<=",
    0.6,
    gap_closed={f"N={N}, r={r}": closed.get((1, N, r), nan) for N in Ns for r in low_ranks},
)
page.claim(
    "smallest N: depth narrows the same-depth low-rank/full-rank ratio (one layer's ratio over the best "
    "deeper ratio >= 1.5, every low rank)",
    min(narrowing.values()),
    ">=",
    1.5,
    ratio={f"L={L}, r={r}": v for L, d_ in ratio_min_N.items() for r, v in d_.items()},
)
page.claim(
    "smallest N: ... but not by lowering the low-rank error: no deeper low-rank model beats the one-layer "
    "model of the same rank (deeper / one-layer error >= 1)",
    min(deep_low_vs_one.values()),
    ">=",
    1.0,
    ratio={f"L={L}, r={r}": v for (L, r), v in deep_low_vs_one.items()},
)
page.claim(
    "smallest N: the deeper full-rank models train worse: error at least 2x the one-layer full-rank error",
    min(deep_full_vs_one.values()),
    ">=",
    2.0,
    ratio={f"L={L}": v for L, v in deep_full_vs_one.items()},
)
page.claim(
    "largest N: depth does not close the gap: the best low-rank model of any depth has at least 1.5x the "
    "error of the best full-rank model of any depth",
    best_low_max_N / best_full_max_N,
    ">=",
    1.5,
    best_low=best_low_max_N,
    best_full=best_full_max_N,
    errors={f"L={L}, r={r}": best[L, N_max, r] for L in Ls for r in ranks},
)
page.record("ms_per_step", {f"L={L}, N={N}": round(v, 1) for (L, N), v in ms_per_step.items()})
page.finish()
