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
# # Four attentions on four tasks: the Strassen paper's experiments
#
# Page 25 shows one Strassen layer solving Comp_n where one softmax layer cannot. The paper
# {cite}`kozachinskiy2025strassen` makes its experimental case on a grid of four attentions and
# four tasks, trained by one protocol. The repository the paper names for these experiments is
# not available (a co-author's public implementation of the layer is, see page 25's provenance
# note, but not of the experiments), so this page is an independent reproduction of that grid at
# the profile's sizes.
#
# **The attentions** (one layer each, `attnlab.composition.strassen.StrassenTransformer`):
#
# * *standard* softmax attention;
# * *triangular* attention {cite}`bergen2021edge`, on grid inputs only: edge $(i, j)$ attends
#   over $l$ to the triangle of edges $(i, l), (l, j)$, score $\langle q_{il}, k_{lj}\rangle$,
#   value $V_1 x_{il} \odot V_2 x_{lj}$ (`attnlab.composition.triangular`);
# * *third-order* attention {cite}`sanford2023representational`: query $i$ attends to every
#   pair $(j, k)$, score $\langle q_i, k_j \odot k'_k\rangle$, value $v_j \odot v'_k$
#   (`attnlab.composition.third_order`);
# * *Strassen* attention, as on page 25;
#
# and, for Table 1's comparison, a two-layer standard model.
#
# *Provenance.* The stored text of the Strassen paper lost its display equations, and the
# stored texts of Bergen et al. and Sanford et al. we could search give the ideas (triangles,
# pair scores) but not the equations either. The score and value forms above are the ones the
# Strassen paper describes for its comparison; they are our reading, not a confirmed copy. Each
# layer's fast form is tested against a definition written out loop by loop (`tests/`).
#
# **The tasks** (`attnlab.composition.paper_tasks`, the paper's Appendix C.1): function
# composition as a Boolean task (label at $\bot$: $f(f(0)) = 0$, balanced), binary relation
# composition with $A = B = R$ (label $(R\circ R)_{ij}$ at every edge), Match3 modulo $M$
# (balanced over four bins of positive fraction) and quotient relation composition (QBRC: label
# at $(i, j)$, $i \neq j$, whether some $k_1 \neq k_2$ of one colour have
# $R_{ik_1} = R_{jk_2} = 1$). The paper's Algorithms 1 and 3 and QBRC's colouring could not be
# read in the stored text: the samplers use **stand-ins**, described in the module. Lengths vary
# within a task; padding is masked in the attention and in the loss.
#
# **The protocol** (the paper's Table 6 at profile `paper`): one fixed data set per task, 90%
# for training and 10% for validation; binary cross-entropy over the labelled tokens; AdamW at a
# constant rate; dropout outside attention; a number of epochs; accuracy over the validation
# labels after every epoch; the median over seeds. The `quick` and `laptop` profiles shrink the
# lengths, the data and the epochs and raise the rate; the `paper` profile is the paper's.
#
# This page ran with profile {glue:text}`profile` and seed {glue:text}`seed` in
# {glue:text}`runtime`.

# %% tags=["parameters"]
profile = "quick"
seed = 0

# %%
import matplotlib.pyplot as plt
import numpy as np

import attnlab
from attnlab.composition import reported
from attnlab.composition import strassen_paper as experiment
from attnlab.runtime.seeds import model_seeds

page = attnlab.Page("26_strassen_paper", profile=profile, seed=seed)
cfg = page.cfg
device = str(page.device())
page.record("model_seeds", model_seeds(seed, cfg.seeds, "model"))
TASK_NAMES = {
    "fcomp": "function composition",
    "brc": "relation composition",
    "match3": "Match3",
    "qbrc": "quotient relation composition",
}
for task, ts in cfg.tasks.items():
    t = ts.task
    rng = f"{t.low}..{t.high}"
    extra = f", density {t.density}" if t.density is not None else (f", M = {t.M}" if t.M else "")
    page.record(f"{task}_sizes", f"{'m' if task in ('brc', 'qbrc') else 'n'} in {rng}{extra}")
    page.record(
        f"{task}_train",
        f"d = {ts.d}, H = {ts.heads}, {ts.samples} examples, {ts.epochs} epochs of batch {ts.batch}, dropout {ts.dropout}",
    )
page.record("lr", cfg.lr)
page.record("seeds", cfg.seeds)

# %% [markdown]
# ## 1. Training every attention on every task
#
# Each task's sizes at this profile: function composition {glue:text}`fcomp_sizes`
# ({glue:text}`fcomp_train`); relation composition {glue:text}`brc_sizes`
# ({glue:text}`brc_train`); Match3 {glue:text}`match3_sizes` ({glue:text}`match3_train`); QBRC
# {glue:text}`qbrc_sizes` ({glue:text}`qbrc_train`). Every run trains {glue:text}`seeds`
# models (seeds {glue:text}`model_seeds`) batched, at rate {glue:text}`lr`.

# %%
runs = experiment.page_configs(cfg, seed)
page.work(experiment.planned_work(cfg), None, device)
results = {}
for task, name, c in runs:
    results[task, name] = experiment.train_run(c, device)
    r = results[task, name]
    print(
        f"{task:6s} {name:20s} final accuracy per seed {[round(a, 3) for a in r['accuracy'][-1]]}  {r['seconds'][-1]:.1f} s"
    )

final = {k: np.array(r["accuracy"][-1]) for k, r in results.items()}
median = {k: float(np.median(v)) for k, v in final.items()}
page.record("medians", {f"{t}, {n}": round(v, 3) for (t, n), v in median.items()})
page.record("params", {f"{t}, {n}": r["params"] for (t, n), r in results.items() if t in ("brc", "qbrc")})
page.record("positive", {t: round(results[t, "standard"]["positive"], 3) for t in cfg.tasks})

# %%
COLORS = {
    "standard": "C0",
    "triangular": "C1",
    "third-order": "C4",
    "Strassen": "C2",
    "standard, 2 layers": "C3",
}
fig, axes = plt.subplots(2, 4, figsize=(15, 7), sharey=True)
for col, task in enumerate(cfg.tasks):
    for name in experiment.models_for(task):
        r = results[task, name]
        acc = np.median(np.array(r["accuracy"]), axis=1)
        epochs = np.arange(1, len(acc) + 1)
        axes[0, col].plot(epochs, acc, color=COLORS[name], label=name)
        axes[1, col].plot(r["seconds"], acc, color=COLORS[name], label=name)
    for name, (acc, params) in reported.TABLE1.get(task, {}).items():
        for ax in axes[:, col]:
            ax.axhline(
                acc, color=COLORS[name], ls=":", lw=1, label=f"paper, Table 1: {name} ({params} params)"
            )
    axes[0, col].set(title=TASK_NAMES[task], xlabel="epoch")
    axes[1, col].set(xlabel=f"training seconds ({cfg.seeds} models at once, this machine)")
axes[0, 0].set_ylabel("validation accuracy (median of seeds)")
axes[1, 0].set_ylabel("validation accuracy (median of seeds)")
axes[0, 1].legend(fontsize=8)
fig.tight_layout()
page.figure("fig_curves", fig)

# %% [markdown]
# Medians of the final validation accuracy: {glue:text}`medians`. The validation labels'
# positive rates are {glue:text}`positive`, so a constant answer gets the larger of each rate
# and its complement. Dotted lines are the paper's Table 1 (its `paper` sizes, $d = 16$,
# parameter-matched): relation composition, one Strassen layer 100% with about 2.5k parameters
# against 92% for two standard layers with about 3.6k; QBRC 98% against 82%. Our parameter
# counts ({glue:text}`params`) are larger because our token embedding is a table per
# position and symbol. Figure 1 of the paper (accuracy per epoch and per second) did not
# survive in the stored text, so its curves are not drawn. In words, the paper reports that
# Strassen and third-order attention are the only mechanisms accurate on all four tasks, that
# triangular attention is the fastest on relation composition, and that Strassen attention
# clearly beats triangular and standard attention on QBRC.
#
# ## 2. Time per step as the input grows
#
# Strassen and third-order attention both look at all $T^2$ pairs per query, but Strassen's
# score factorises into three $T \times T$ matrices (page 25), while the third-order score
# does not and its $T^3$ scores are materialised. One forward and backward pass of a one-layer
# model, $d$ = {glue:text}`t_d`, {glue:text}`t_batch` sequences, median of
# {glue:text}`t_repeats`:

# %%
t = cfg.timing
page.record("t_d", t.d)
page.record("t_batch", t.batch)
page.record("t_repeats", t.repeats)
attentions = ("softmax", "triangular", "third_order", "strassen")
times = {
    a: {T: experiment.time_step(a, T, d=t.d, batch=t.batch, repeats=t.repeats) for T in t.Ts}
    for a in attentions
}
T_max = page.record("T_max", max(t.Ts))
page.record("step_times", {a: {T: round(s * 1e3, 2) for T, s in v.items()} for a, v in times.items()})
ratio = page.record("third_over_strassen", times["third_order"][T_max] / times["strassen"][T_max])
fig, ax = plt.subplots(figsize=(6, 4))
for a in attentions:
    ax.loglog(list(t.Ts), [times[a][T] for T in t.Ts], "o-", label=a)
ax.set(xlabel="tokens T", ylabel="seconds per step", title="one layer, forward + backward")
ax.legend()
fig.tight_layout()
page.figure("fig_time", fig)

# %% [markdown]
# Step times in milliseconds: {glue:text}`step_times`. At $T$ = {glue:text}`T_max` a
# third-order step takes {glue:text}`third_over_strassen:.2f` times as long as a Strassen step.
#
# ## Claims
#
# Each claim compares medians over seeds of the final validation accuracy, the paper's
# statistic. A profile claims only the comparisons its sizes are meant to separate
# (`cfg.claims`: {glue:text}`claimed`); the others are measured and shown here, not claimed:
# {glue:text}`unclaimed`. {glue:text}`unclaimed_why`


# %%
def med(task, name):
    return median[task, name]


comparisons = {
    "qbrc": (
        "on QBRC one Strassen layer beats one triangular and one standard layer (median accuracy, "
        "Strassen minus the better of the two)",
        med("qbrc", "Strassen") - max(med("qbrc", "triangular"), med("qbrc", "standard")),
        0.02,
    ),
    "brc table 1": (
        "on relation composition one Strassen layer beats the 2-layer standard model (median accuracy difference)",
        med("brc", "Strassen") - med("brc", "standard, 2 layers"),
        0.02,
    ),
    "match3": (
        "on Match3 Strassen and third-order attention beat standard attention (median accuracy, the "
        "worse of the two minus standard)",
        min(med("match3", "Strassen"), med("match3", "third-order")) - med("match3", "standard"),
        0.02,
    ),
    "fcomp": (
        "on function composition Strassen and third-order attention beat standard attention (median "
        "accuracy, the worse of the two minus standard)",
        min(med("fcomp", "Strassen"), med("fcomp", "third-order")) - med("fcomp", "standard"),
        0.05,
    ),
    "brc triangular": (
        "on relation composition one triangular layer errs on at most 1% of the validation labels "
        "(median error, 1 - accuracy: an accuracy near its ceiling of 1 is read as an error against 0)",
        1 - med("brc", "triangular"),
        0.01,
    ),
}
below = {"brc triangular"}  # claims of an error: value <= bound; the others: value >= bound
page.record("claimed", [k for k in comparisons if k in cfg.claims])
page.record("unclaimed", {k: round(v[1], 3) for k, v in comparisons.items() if k not in cfg.claims} or "none")
WHY_UNCLAIMED = {
    "quick": (
        "At `quick` (grids of 3-4 elements, 800 examples, 8 epochs) one Strassen layer does not beat "
        "the other layers on QBRC or relation composition, nor clearly beat standard attention on "
        "Match3, by margins that hold on seeds 0, 1 and 2; triangular attention, whose triangles are "
        "exactly the composition's, learns relation composition outright. The paper's QBRC "
        "separation is claimed at `laptop` and `paper`; its Match3 separation and Table 1's "
        "comparison at `paper` only."
    ),
    "laptop": (
        "At `laptop` (grids of 4-5 elements) two standard layers learn relation composition about "
        "as well as one Strassen layer: their accuracies rise together, epoch by epoch, to within "
        "a point of each other, so Table 1's comparison is not claimed here. Table 1's gap (100% "
        "against 92%) is measured on the paper's grids of 6-8 elements after 200 epochs of 45,000 "
        "examples, which a one-thread laptop hour cannot afford (a Strassen or third-order step "
        "grows as the cube of the m^2 tokens); it is claimed at `paper`. On Match3 at `laptop` "
        "(sequences of 14-16) Strassen and third-order attention lead standard attention by less "
        "than the claim's margin on some seeds, and in a sizing pilot with twice the examples "
        "standard attention caught up: the lead measures how fast each layer learns from the same "
        "examples, not what one layer can express, so it is shown, not claimed; the paper's lengths "
        "(30-35) test that, at `paper`."
    ),
    "paper": "At `paper` every comparison is claimed.",
}
page.record("unclaimed_why", WHY_UNCLAIMED[profile])
for key, (statement, value, bound) in comparisons.items():
    if key in cfg.claims:
        page.claim(
            statement,
            value,
            "<=" if key in below else ">=",
            bound,
            medians={f"{t}, {n}": v for (t, n), v in median.items() if t == key.split()[0]},
        )
if "timing" in cfg.claims:
    page.claim(
        f"at T = {T_max}, a Strassen step takes less time than a third-order step (third-order time / Strassen time)",
        ratio,
        ">",
        1.0,
        step_times=times,
    )
page.finish()
