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
# # Performance
#
# The paper's first figure alone trains each of its configurations for 100k steps
# {cite}`amsel2024code`. This book reruns its experiments on a 2-core CPU, so its training engine (`attnlab.rank.encoder` and
# `attnlab.rank.train`) has to be fast: K models trained together with stacked parameters, the
# width multiplier $c$ as $c\cdot H$ heads of one fused attention call, a fused AdamW, and a
# feed-forward layer that never writes its wide hidden layer to memory when that is what limits
# it. This page shows what that buys, measured by the scripts in `benchmarks/`:
#
# 1. **fig1 step**: one training step at the paper's fig1 sizes against the straightforward
#    implementation (`benchmarks/naive.py`: $c$ `nn.MultiheadAttention` modules in a Python loop);
# 2. **batched seeds**: $K$ models in one batched pass against $K$ separate runs;
# 3. **FLOP/s**: the achieved rate of a training step as a fraction of the machine's measured
#    dense-matmul peak;
# 4. **scaling**: step time against $N$ and $d$, with fitted log-log slopes beside the ones the
#    FLOP count predicts;
# 5. **Ray**: a small training sweep through a local Ray cluster against the same sweep in this
#    process (`attnlab.runtime.sweep`);
# 6. **many small heads**: a training step and its kept activations at rank 1 ... 64 (64 to
#    4,096 heads), on PyTorch's fused attention kernel and on the small-head kernel;
# 7. **thread wait policy**: OpenMP's wait policies on a small training workload, alone and with a
#    second job on the same cores;
# 8. the wall time of the whole book in the quick profile.
#
# What was achieved comes first (the summary below, then each section); what was hoped for, the
# targets set before the work, is compared with it in section 9.
#
# **This page times nothing.** Timings on a shared CI machine are noise, so the benchmarks
# are run by hand (`.venv/bin/python benchmarks/run_all.py`, minutes on an idle machine) and
# their JSON results are committed under `benchmarks/results/`; the page reads them,
# recomputes every derived number from the raw timings, and says which targets the recorded
# run met. These are recorded facts, shown, not claims: a file read back cannot contradict
# itself, and a timing asserted on a shared machine fails at random. The one claim of this page
# is computed here, on the spot: that the FLOP count behind section 3's rates agrees with
# PyTorch's own count of the products the model executes. The benchmarks ran at different
# times, some on different machines of a shared pool: each file records its machine, date,
# torch threads and load average, listed in the first table below and repeated in each section
# (this page runs torch {glue:text}`torch_now`). The last column says how many repetitions each
# median had and how far they spread, where the file keeps them; the files that keep medians only
# were written before the benchmark scripts recorded every repetition (`benchmarks/_common.py`
# now adds them under "timings"), and get them when they are next run on a quiet machine.

# %% tags=["parameters"]
profile = "quick"
seed = 0

# %%
import json
import math

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import torch
from IPython.display import Markdown, display

import attnlab
from attnlab.book.page import project_root, results_path
from attnlab.rank.config import flop_shares, step_flops
from attnlab.rank.small_heads import SMALL_MAX, SMALL_MAX_N, SMALL_MIN_HEADS

page = attnlab.Page("90_performance", profile=profile, seed=seed)
cfg = page.cfg
targets = cfg.targets
sns.set_theme(context="notebook", style="whitegrid")

root = project_root()
bench_dir = root / cfg.results_dir
paths = {name: bench_dir / f"{name}.json" for name in cfg.benchmarks}
found = {name: path.exists() for name, path in paths.items()}
results = {name: json.loads(path.read_text()) for name, path in paths.items() if found[name]}
page.record("torch_now", torch.__version__)


def where(name):
    """Where and when benchmark ``name`` ran, from its file's machine block."""
    m = results[name]["machine"]
    load = ", ".join(f"{x:.1f}" for x in m["load_average"])
    return (
        f"{m['cpu']} ({m['nproc']} cores), {m['threads']} torch thread(s), "
        f"{m['recorded'][:16].replace('T', ' ')} UTC, load average {load} (1, 5, 15 min)"
    )


def spread(name):
    """The repetitions and spread benchmark ``name`` recorded for its medians, or that it did not."""
    res = results[name]
    if res.get("timings"):  # every median of the run, as the benchmark scripts now write them
        rel = [(t["max_s"] - t["min_s"]) / t["median_s"] for t in res["timings"]]
        reps = "/".join(map(str, sorted({t["reps"] for t in res["timings"]})))
        return (
            f"{len(rel)} medians of {reps} repetitions; (max - min) / median {min(rel):.0%} to {max(rel):.0%}"
        )
    if "raw" in res:  # the sweep: every repetition of both sides
        raw = list(res["raw"].values())
        rel = [(max(v) - min(v)) / float(np.median(v)) for v in raw]
        return f"medians of {len(raw[0])} repetitions; (max - min) / median {min(rel):.0%} to {max(rel):.0%}"
    if res.get("rows") and "alone_runs_ms" in res["rows"][0]:  # the thread policies: every round
        rel = [
            (max(v) - min(v)) / float(np.median(v))
            for r in res["rows"]
            for v in (r["alone_runs_ms"], r["shared_runs_ms"])
        ]
        return (
            f"medians of {len(res['rows'][0]['alone_runs_ms'])} rounds; "
            f"(max - min) / median {min(rel):.0%} to {max(rel):.0%}"
        )
    return "medians only: this file keeps neither the number of repetitions nor their spread"


for name in results:
    page.record(f"where_{name}", where(name))
    page.record(f"spread_{name}", spread(name))
display(
    Markdown(
        "| benchmark | CPU | cores | torch threads | recorded (UTC) | load average (1, 5, 15 min) "
        "| torch | repetitions and spread |\n|---|---|---:|---:|---|---|---|---|\n"
        + "\n".join(
            f"| {name} | {m['cpu']} | {m['nproc']} | {m['threads']} | {m['recorded'][:16].replace('T', ' ')} "
            f"| {', '.join(f'{x:.1f}' for x in m['load_average'])} | {m['torch']} | {spread(name)} |"
            for name, m in ((name, results[name]["machine"]) for name in results)
        )
    )
)
page.record("benchmarks_found", [name for name in cfg.benchmarks if found[name]])
page.record("benchmarks_missing", [name for name in cfg.benchmarks if not found[name]])
fig1_sizes = page.record("fig1_sizes", ", ".join(f"{k} = {v}" for k, v in results["fig1"]["sizes"].items()))

# what was achieved, in one place (each number is derived again, with its context, below)
r1 = results["fig1"]["rows"]
fig1_r = [r["naive_ms"] / r["attnlab_ms"] for r in r1]
page.record(
    "sum_fig1",
    f"{math.exp(np.mean(np.log(fig1_r))):.2f}x (from {min(fig1_r):.2f}x to {max(fig1_r):.2f}x over {len(r1)} configurations)",
)
r2 = results["batched_seeds"]["rows"]
page.record(
    "sum_batched",
    "; ".join(
        f"{sz} sizes, {th} thread(s): "
        + ", ".join(
            f"{r['separate_ms'] / r['batched_ms']:.2f}x at K = {r['K']}"
            for r in r2
            if (r["sizes"], r["threads"]) == (sz, th) and r["K"] > 1
        )
        for sz, th in sorted({(r["sizes"], r["threads"]) for r in r2})
    ),
)
worst2 = min((r for r in r2 if r["K"] > 1), key=lambda r: r["separate_ms"] / r["batched_ms"])
page.record(
    "sum_batched_worst",
    f"{worst2['separate_ms'] / worst2['batched_ms']:.2f}x ({worst2['sizes']} sizes, K = {worst2['K']}, {worst2['threads']} thread(s))",
)
page.record("sum_runs", f"{results['batched_seeds']['runs']['cost_fraction']:.2f}")
r3 = results["flops"]["rows"]
page.record("sum_flops", ", ".join(f"{r['fraction_of_peak']:.0%} at H = {r['H']}" for r in r3))
page.record("sum_sweep", f"{results['sweep']['ray_s'] / results['sweep']['in_process_s']:.2f}")
hr = results["heads"]["ratios"] if "heads" in results else {}
page.record(
    "sum_heads",
    ", ".join(f"{k.split()[0]}: {v['time_r1_over_r64']:.1f}x" for k, v in hr.items() if k.endswith("new"))
    or "not recorded",
)

# %% [markdown]
# **What was achieved.** Against the straightforward implementation in the same process, a
# training step at the paper's fig1 sizes is faster by a geometric mean of
# {glue:text}`sum_fig1` (section 1). Training $K$ models in one batched pass gives a throughput
# ratio over $K$ separate steps of {glue:text}`sum_batched`; the worst is
# {glue:text}`sum_batched_worst` (below 1: the batched step was slower than the separate ones;
# "fig1 sizes" are the paper's; section 2). A whole batched run of 8 models costs {glue:text}`sum_runs` of 8 separate runs. A
# training step reaches {glue:text}`sum_flops` of the machine's measured matrix-product peak
# (section 3). A small sweep through Ray took {glue:text}`sum_sweep` times its in-process time
# once the cluster was up (section 5). On the small-head kernel, a step at rank 1 costs, relative
# to rank 64 with the same parameters: {glue:text}`sum_heads` (section 6).
#
# ## 1. The paper's fig1 step against the straightforward implementation
#
# Sizes {glue:text}`fig1_sizes` (feed-forward width `ff`); a step is fresh data, forward, loss,
# backward and AdamW. Measured on {glue:text}`where_fig1`; {glue:text}`spread_fig1`. Both
# implementations were timed in the same process with the same allocator setting: that is the
# fair comparison, and the only one plotted. attnlab asks glibc to keep freed memory
# (`attnlab.runtime.device.keep_freed_memory`), because on this VM a page fault on freshly mapped
# memory costs more than the arithmetic on it; the straightforward code timed again in a fresh
# process with glibc's allocator untouched ("stock") shows what that one setting is worth. It is
# not a speed-up of attnlab's code (any program can set it), so it is reported beside the
# comparison, not as part of it.

# %%
fig1 = results["fig1"]
rows1 = fig1["rows"]
ratios = np.array([r["naive_ms"] / r["attnlab_ms"] for r in rows1])
ratios_stock = np.array([r["naive_stock_ms"] / r["attnlab_ms"] for r in rows1])
geomean = float(np.exp(np.log(ratios).mean()))
geomean_stock = float(np.exp(np.log(ratios_stock).mean()))
labels = [f"H={r['H']}, L={r['L']}, c={r['c']}" for r in rows1]
page.record("fig1_geomean", geomean)
page.record("fig1_geomean_stock", geomean_stock)
page.record("fig1_min_ratio", float(ratios.min()))
page.record("fig1_ratios", {lab: round(float(x), 2) for lab, x in zip(labels, ratios, strict=True)})

shape1 = {k: fig1["sizes"][k] for k in ("d", "N", "batch", "ff")}
fig1_ff = {
    lab: flop_shares(**shape1, layers=r["L"], c=r["c"])["feed_forward"]
    for lab, r in zip(labels, rows1, strict=True)
}
page.record("fig1_ff_share", {lab: f"{v:.0%}" for lab, v in fig1_ff.items()})
best = int(np.argmax(ratios))
page.record("fig1_best", labels[best])
page.record("fig1_best_ratio", float(ratios[best]))
page.record("fig1_best_c", rows1[best]["c"])
page.record("fig1_best_ff_share", fig1_ff[labels[best]])
page.record("fig1_worst", labels[int(np.argmin(ratios))])
page.record("fig1_max_ff_share", max(fig1_ff.values()))

tick_labels = [f"H={r['H']}\nL={r['L']}\nc={r['c']}" for r in rows1]
fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
x = np.arange(len(rows1))
ax = axes[0]
ax.bar(x - 0.2, [r["naive_ms"] for r in rows1], 0.4, label="straightforward (naive.py)", color="C7")
ax.bar(x + 0.2, [r["attnlab_ms"] for r in rows1], 0.4, label="attnlab", color="C0")
ax.set(xticks=x, ylabel="ms per training step (median)", title="fig1 sizes: time per step, same process")
ax.set_xticklabels(tick_labels, fontsize=9)
ax.legend(fontsize=8)
ax = axes[1]
ax.bar(x, ratios, 0.5, color="C0")
ax.axhline(1.0, color="k", lw=0.8)
ax.set(
    xticks=x,
    ylabel="speed-up (naive time / attnlab time)",
    title="speed-up per configuration, same allocator",
)
ax.set_xticklabels(tick_labels, fontsize=9)
fig.tight_layout()
page.figure("fig_perf_fig1", fig)

# %% [markdown]
# Speed-ups per configuration: {glue:text}`fig1_ratios`; geometric mean
# {glue:text}`fig1_geomean:.2f`, smallest {glue:text}`fig1_min_ratio:.2f` (at
# {glue:text}`fig1_worst`). Both implementations run the feed-forward layer as the same two large
# matrix products; its share of a step's counted FLOPs (`attnlab.rank.config.step_flops_parts`)
# is {glue:text}`fig1_ff_share`. The largest speed-up, {glue:text}`fig1_best_ratio:.2f`, is at
# {glue:text}`fig1_best`, where the feed-forward share is {glue:text}`fig1_best_ff_share:.0%` and
# the straightforward code calls {glue:text}`fig1_best_c` attention modules one after another.
#
# **The allocator setting alone.** The straightforward code in a stock process takes
# {glue:text}`fig1_geomean_stock:.2f` times as long as attnlab (geometric mean), against
# {glue:text}`fig1_geomean:.2f` with the setting in both: the difference is glibc's allocator on
# this VM, which the straightforward code would get as well from glibc's own environment
# variables (`MALLOC_MMAP_MAX_=0` and a large `MALLOC_TRIM_THRESHOLD_`).
#
# ## 2. K models in one batched pass
#
# Notebook 12 trains every (rank, seed) of one shape together. The throughput ratio is
# $K\,t_1 / t_K$: the time of $K$ separate one-model steps over the time of one $K$-model step.
# Measured on {glue:text}`where_batched_seeds`; {glue:text}`spread_batched_seeds`.

# %%
bs = results["batched_seeds"]
rows2 = bs["rows"]
fig, ax = plt.subplots(figsize=(7, 4.2))
for j, (sizes_name, threads) in enumerate(sorted({(r["sizes"], r["threads"]) for r in rows2})):
    sel = [r for r in rows2 if r["sizes"] == sizes_name and r["threads"] == threads]
    ax.plot(
        [r["K"] for r in sel],
        [r["separate_ms"] / r["batched_ms"] for r in sel],
        "o-",
        color=f"C{j}",
        label=f"{sizes_name} sizes, {threads} thread(s)",
    )
ax.axhline(1.0, color="k", lw=0.8, label="no gain")
ax.set(xscale="log", xlabel="K (models per pass)", ylabel="throughput ratio", title="batched vs separate")
ax.set_xscale("log", base=2)
ax.legend(fontsize=8)
fig.tight_layout()
page.figure("fig_perf_batched", fig)
k8 = {
    f"{r['sizes']}, {r['threads']} thr": round(r["separate_ms"] / r["batched_ms"], 2)
    for r in rows2
    if r["K"] == 8
}
page.record("batched_k8", k8)
runs = bs["runs"]
run_s = {side: {int(t): v for t, v in per.items()} for side, per in runs["seconds"].items()}
best_threads = runs["best_threads"]
run_fraction = run_s["batched"][best_threads["batched"]] / run_s["separate"][best_threads["separate"]]
page.record("runs_steps", runs["steps"])
page.record("runs_K", runs["K"])
page.record("runs_fraction", run_fraction)
page.record("cost_target", targets.batched_cost_fraction_K8)
page.record("runs_verdict", "met" if run_fraction <= targets.batched_cost_fraction_K8 else "not met")
raw_runs = runs.get("raw_seconds")
page.record(
    "runs_reps", len(next(iter(raw_runs["batched"].values()))) if raw_runs else "an unrecorded number of"
)
page.record(
    "runs_spread",
    "; ".join(
        f"{side} at {t} thread(s) {min(v):.2f} to {max(v):.2f} s"
        for side, per in raw_runs.items()
        for t, v in per.items()
    )
    if raw_runs
    else "this file keeps the medians only, not the repetitions",
)
quick_sizes = bs["sizes"]["quick"]
page.record(
    "quick_step_mflop",
    step_flops(**{k: quick_sizes[k] for k in ("d", "N", "batch", "layers", "c", "ff")}) / 1e6,
)
runs_seconds = page.record(
    "runs_seconds",
    ", ".join(
        f"{side} {run_s[side][t]:.2f} s at {t} thread(s)"
        for side in ("batched", "separate")
        for t in sorted(run_s[side])
    ),
)

# %% [markdown]
# Throughput ratio at $K = 8$: {glue:text}`batched_k8`. Batching removes per-step overheads
# (Python, dispatch, the optimizer loop, one small kernel per model) and lets one matrix
# product cover all models. At the quick sizes a model's step is
# {glue:text}`quick_step_mflop:.0f` MFLOP. Our reading of the ratios, which the benchmark does not
# measure: at these sizes little of a step's time is overhead, and the rest (arithmetic and
# memory traffic) grows with $K$, so batching cannot divide it; a ratio above what the arithmetic
# allows would mean that the separate runs were paying for idle cores.
#
# **Whole runs.** One `attnlab.rank.train.train` run of {glue:text}`runs_K` seeds against
# {glue:text}`runs_K` one-seed runs ({glue:text}`runs_steps` steps each, quick sizes, model
# building included, the two alternated so that drift in the machine's speed hits both):
# {glue:text}`runs_seconds`. Each side at its own best thread count, the batched run costs
# {glue:text}`runs_fraction:.2f` of the separate ones (medians of {glue:text}`runs_reps`
# alternations; {glue:text}`runs_spread`); the target, at most {glue:text}`cost_target`, was
# {glue:text}`runs_verdict` (section 9).
#
# ## 3. FLOP/s against the machine's matmul peak

# %%
fl = results["flops"]
rows3 = fl["rows"]
fractions = {
    f"H={r['H']}": step_flops(**{k: fl["sizes"][k] for k in ("d", "N", "batch", "layers", "c", "ff")})
    / (r["step_ms"] / 1000)
    / (r["peak_gflops"] * 1e9)
    for r in rows3
}
page.record("flops_fractions", {k: round(v, 3) for k, v in fractions.items()})
page.record("peak_gflops", round(fl["peak_gflops"], 1))
page.record("peak_measurements", ", ".join(f"{x:.0f}" for x in fl["peak_gflops_measurements"]))
page.record("flops_sizes", ", ".join(f"{k} = {v}" for k, v in fl["sizes"].items()))
shares3 = flop_shares(**{k: fl["sizes"][k] for k in ("d", "N", "batch", "layers", "c", "ff")})
page.record("flops_shares", ", ".join(f"{k.replace('_', '-')} {v:.0%}" for k, v in shares3.items()))
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.bar(list(fractions), [100 * v for v in fractions.values()], color="C0")
ax.set(ylabel="% of measured matmul peak", title="achieved FLOP/s of a training step", ylim=(0, 100))
fig.tight_layout()
page.figure("fig_perf_flops", fig)

# %% [markdown]
# Measured on {glue:text}`where_flops`; {glue:text}`spread_flops`. At {glue:text}`flops_sizes` a
# training step reaches {glue:text}`flops_fractions` of the {glue:text}`peak_gflops` GFLOP/s that
# one large float32 matrix product achieves on the same threads. The peak was measured before,
# again and after the steps ({glue:text}`peak_measurements` GFLOP/s); the higher of the first two
# is used, which makes the fraction conservative. FLOPs are those of matrix products only, from
# the formula of `attnlab.rank.config.step_flops`; by product: {glue:text}`flops_shares`. Where
# the rest of the time goes is not measured here;
# the candidates are attention on short sequences (tiny matrices, far from peak), the elementwise
# passes (normalisations, softmax, ReLU, AdamW) that move memory without arithmetic, and the
# narrow projections, whose products are limited by writing their outputs.
#
# **Checking the count.** These rates are only as good as the analytic count `step_flops`.
# PyTorch counts independently the FLOPs of the matrix products a computation actually runs
# (`torch.utils.flop_counter.FlopCounterMode`), so we run the model once more, here and now, at
# the benchmark's sizes with a batch of {glue:text}`count_batch` (both counts are linear in the
# batch): one forward and backward pass of a `BatchedEncoder`, for each head count of the
# benchmark. Two settings make the counter see what the formula describes: attention runs on
# the math backend of `scaled_dot_product_attention` (the counter does not see inside the fused
# CPU kernel), and the input requires a gradient, since the formula's "backward = 2 x forward"
# gives every product both of its gradients.

# %%
from attnlab.rank.train import counted_flops

count_batch = page.record("count_batch", 4)
fs = fl["sizes"]
shape = {k: fs[k] for k in ("d", "N", "layers", "c", "ff")}
analytic = step_flops(**shape, batch=count_batch)


heads_checked = [r["H"] for r in rows3]
count_ratio = {
    f"H={H}": counted_flops(**shape, batch=count_batch, heads=H, seed=seed) / analytic for H in heads_checked
}
step_ratio = {
    f"H={H}": counted_flops(**shape, batch=count_batch, heads=H, training=True, seed=seed) / analytic
    for H in heads_checked
}
count_err = max(abs(v - 1) for v in count_ratio.values())
page.record("count_ratio", {k: round(v, 6) for k, v in count_ratio.items()})
page.record("step_ratio", min(step_ratio.values()))
page.record("flops_fractions_counted", {k: round(v * step_ratio[k], 3) for k, v in fractions.items()})
print(f"analytic {analytic / 1e6:.1f} MFLOP at batch {count_batch}; counted / analytic: {count_ratio}")
print(f"a real training step (no input gradient): counted / analytic {step_ratio}")

# %% [markdown]
# PyTorch's count over the analytic one: {glue:text}`count_ratio`. A real training step does
# not compute the gradient of its input, so it runs {glue:text}`step_ratio:.3f` of the counted
# products (the first layer's q/k/v projection has one gradient fewer); by the count of what a
# step actually runs, the achieved fractions above are {glue:text}`flops_fractions_counted`.
#
# ## 4. How the cost grows

# %%
sc = results["scaling"]
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
slopes = {}
for ax, key in zip(axes, ("N", "d"), strict=True):
    rows4 = sc[key]["rows"]
    xs = np.array([r[key] for r in rows4], dtype=float)
    ts = np.array([r["step_ms"] for r in rows4])
    flops = np.array(
        [step_flops(**{k: r[k] for k in ("d", "N", "batch", "layers", "c", "ff")}) for r in rows4],
        dtype=float,
    )
    fitted = np.polyfit(np.log(xs), np.log(ts), 1)
    expected = np.polyfit(np.log(xs), np.log(flops), 1)
    slopes[key] = {"fitted": float(fitted[0]), "expected": float(expected[0])}
    ax.plot(xs, ts, "o", color="C0", label="measured")
    ax.plot(xs, np.exp(np.polyval(fitted, np.log(xs))), "-", color="C0", label=f"fit: slope {fitted[0]:.2f}")
    scale = np.exp(np.mean(np.log(ts) - np.log(flops)))
    ax.plot(xs, scale * flops, "--", color="C3", label=f"FLOP count (scaled): slope {expected[0]:.2f}")
    ax.set(xscale="log", yscale="log", xlabel=key, ylabel="ms per step", title=f"step time against {key}")
    ax.legend(fontsize=8)
fig.tight_layout()
page.figure("fig_perf_scaling", fig)
page.record("slope_N", round(slopes["N"]["fitted"], 2))
page.record("slope_N_expected", round(slopes["N"]["expected"], 2))
page.record("slope_d", round(slopes["d"]["fitted"], 2))
page.record("slope_d_expected", round(slopes["d"]["expected"], 2))
for key in ("N", "d"):
    rows4 = sc[key]["rows"]
    fixed = {k: rows4[0][k] for k in ("N", "d", "batch", "ff") if k != key}
    page.record(f"scaling_{key}_range", f"{rows4[0][key]} to {rows4[-1][key]}")
    page.record(f"scaling_{key}_fixed", ", ".join(f"{k} = {v}" for k, v in fixed.items()))
    shares = [
        flop_shares(**{k: r[k] for k in ("d", "N", "batch", "layers", "c", "ff")})["feed_forward"]
        for r in rows4
    ]
    page.record(f"scaling_{key}_ff_share", f"{shares[0]:.0%} to {shares[-1]:.0%}")

# %% [markdown]
# Measured on {glue:text}`where_scaling`; {glue:text}`spread_scaling`. Against $N$
# ({glue:text}`scaling_N_range`; {glue:text}`scaling_N_fixed`) the step time grows
# with fitted slope {glue:text}`slope_N` where the FLOP count predicts
# {glue:text}`slope_N_expected`; against $d$ ({glue:text}`scaling_d_range`;
# {glue:text}`scaling_d_fixed`) {glue:text}`slope_d` against {glue:text}`slope_d_expected`.
# Asymptotically the exponents are 2 in both (attention's $N^2$, the projections' $d^2$), but
# over these ranges the wide feed-forward layer, linear in both, holds most of the FLOPs
# ({glue:text}`scaling_N_ff_share` across the $N$ range, {glue:text}`scaling_d_ff_share` across
# the $d$ range). Measured slopes
# below the predicted ones mean that small problems run further from peak (fixed overheads),
# slopes above mean that large ones do (memory traffic, attention's small matrices).
#
# ## 5. What Ray costs on a small sweep
#
# Both training chapters send their runs through `attnlab.runtime.sweep.sweep`, which runs them in
# the notebook's process or, with `ATTNLAB_RAY_ADDRESS` set, as Ray tasks. The benchmark ran
# {glue:text}`sweep_runs` Comp$_n$ training runs ({glue:text}`sweep_config`; one seed each)
# both ways on one machine: in process, and on a local Ray cluster started with `ray start`,
# given as many CPUs ({glue:text}`sweep_cpus`) as the driver has torch threads, so that both
# sides use the same cores and the tasks run one at a time: the difference is Ray's overhead
# (scheduling, worker processes, moving the configurations and results), not parallelism.
# Results cache off both times; each time the median of {glue:text}`sweep_reps` repetitions,
# alternated. Measured on {glue:text}`where_sweep` ({glue:text}`sweep_cpu_note` the CPU of
# sections 1 to 4).

# %%
sw = results["sweep"]
sweep_ratio = sw["ray_s"] / sw["in_process_s"]
page.record("sweep_runs", sw["runs"])
page.record(
    "sweep_cpu_note", "the same as" if sw["machine"]["cpu"] == results["fig1"]["machine"]["cpu"] else "not"
)
page.record("sweep_cpus", sw["cpus"])
page.record("sweep_reps", len(sw["raw"]["ray_s"]))
page.record("sweep_config", ", ".join(f"{k} = {v}" for k, v in sw["config"].items()))
page.record("sweep_ratio", sweep_ratio)
page.record("sweep_startup_ratio", sw["ray_startup_s"] / sw["in_process_s"])
page.record("sweep_same", "the same" if sw["same_numbers"] else "**not** the same")
page.record("sweep_load", ", ".join(f"{x:.1f}" for x in sw["machine"]["load_average"]))
gap = abs(sw["ray_s"] - sw["in_process_s"])
width = min(max(sw["raw"][key]) - min(sw["raw"][key]) for key in ("in_process_s", "ray_s"))
page.record("sweep_median_gap", gap)
page.record("sweep_spread_vs_gap", "wider" if width > gap else "**not** wider")
page.record(
    "sweep_spread",
    "; ".join(
        f"{side} {min(sw['raw'][key]):.1f} to {max(sw['raw'][key]):.1f} s"
        for side, key in (("in process", "in_process_s"), ("Ray", "ray_s"))
    ),
)
sweep_rows = {
    "in process": (sw["in_process_s"], 1.0),
    "Ray (cluster running)": (sw["ray_s"], sweep_ratio),
    "Ray start-up (ray start, connect)": (sw["ray_startup_s"], sw["ray_startup_s"] / sw["in_process_s"]),
}
display(
    Markdown(
        f"| {sw['runs']} runs | wall time (s) | ratio to in-process |\n|---|---:|---:|\n"
        + "\n".join(f"| {name} | {s:.1f} | {r:.2f} |" for name, (s, r) in sweep_rows.items())
    )
)

# %% [markdown]
# With the cluster already running, the sweep took {glue:text}`sweep_ratio:.2f` times its
# in-process time; starting the cluster cost another {glue:text}`sweep_startup_ratio:.2f` times
# the in-process sweep, once per session. The final accuracies of the {glue:text}`sweep_runs`
# runs were {glue:text}`sweep_same` both ways (each task uses the driver's thread count and the
# run's own seeds; `tests/book/test_sweep.py` checks the same on every test run). The
# recording machine was shared with other work (load average {glue:text}`sweep_load` over 1, 5
# and 15 minutes when the benchmark finished), and the repetitions ranged over
# {glue:text}`sweep_spread`: each side's range is {glue:text}`sweep_spread_vs_gap` than the
# {glue:text}`sweep_median_gap:.1f` s between the medians. Where it is wider, Ray's per-task
# overhead on runs of this size is below what this machine can resolve, and its start-up is the
# cost that shows. What Ray buys is the sweep spread over many machines or GPUs
# ([Running at paper scale](92_paper_scale)).
#
# ## 6. Many small heads
#
# One model, {glue:text}`heads_sizes`, at rank $r$ = 64, 16, 4 and 1 ($c D / r$ heads of dimension
# $r$: the same parameters and projection FLOPs at every rank). "old" runs every rank on PyTorch's
# fused `scaled_dot_product_attention`; "new" on the kernel `BatchedEncoder` chooses by head
# dimension (`attnlab.rank.small_heads.attention_path`: on this CPU the heads-last
# `SmallHeadAttention` for $r \le$ {glue:text}`small_max` in a model of at least
# {glue:text}`small_min_heads` heads at $N \le$ {glue:text}`small_max_n`, and the fused kernel
# otherwise, which `benchmarks/bench_heads.py` found as fast with fewer heads and faster at longer
# sequences). Milliseconds are per training step
# at the timed batch, scaled to a batch of 64 (larger $N$ are timed at smaller batches to fit the
# run in minutes); kept bytes are autograd's saved activations per sequence, the number
# `step_memory` plans with. Measured on {glue:text}`where_heads`; {glue:text}`spread_heads`: under
# that load, read the times as rough.

# %%
hd = results.get("heads")
if hd:
    hrows = hd["rows"]
    page.record("small_max", SMALL_MAX)
    page.record("small_min_heads", SMALL_MIN_HEADS)
    page.record("small_max_n", SMALL_MAX_N)
    page.record("heads_sizes", ", ".join(f"{k} = {v}" for k, v in hd["sizes"].items()))
    page.record("heads_threads", hd["machine"]["threads"])
    page.record("heads_load", ", ".join(f"{v:.1f}" for v in hd["machine"]["load_average"]))
    display(
        Markdown(
            "| $N$ | $r$ | heads | path | kernel | batch timed | ms per step at 64 | kept KiB per sequence |\n"
            "|---:|---:|---:|---|---|---:|---:|---:|\n"
            + "\n".join(
                f"| {r['N']} | {r['rank']} | {r['heads']} | {r['path']} | {r['kernel']} | {r['batch_timed']} "
                f"| {r['step_ms_at_64']:.0f} | {r['kept_bytes_per_sequence'] / 1024:.0f} |"
                for r in hrows
            )
        )
    )
    heads_ratios = {}
    for key in hd["ratios"]:
        N, path = key.split()
        one = {r["rank"]: r for r in hrows if f"N={r['N']}" == N and r["path"] == path}
        heads_ratios[key] = (
            one[1]["step_ms"] / one[64]["step_ms"],
            one[1]["kept_bytes_per_sequence"] / one[64]["kept_bytes_per_sequence"],
        )
    display(
        Markdown(
            "| case | time, r = 1 / r = 64 | kept bytes, r = 1 / r = 64 |\n|---|---:|---:|\n"
            + "\n".join(f"| {k} | {t:.2f} | {m:.2f} |" for k, (t, m) in heads_ratios.items())
        )
    )
    goal = hd["goal"]["r1_over_r64_at_most"]
    page.record("heads_goal", f"{goal:g}")
    page.record(
        "heads_goal_met",
        [k for k, (t, m) in heads_ratios.items() if k.endswith("new") and max(t, m) <= goal] or "none",
    )
    page.record(
        "heads_goal_missed",
        [k for k, (t, m) in heads_ratios.items() if k.endswith("new") and max(t, m) > goal] or "none",
    )
    floors = hd.get("softmax_floor", {})
    if floors:
        display(
            Markdown(
                "| case | r = 64 step, ms | softmax alone, ms | exponentials alone, ms "
                "| 1 + exponentials / r = 64 step |\n|---|---:|---:|---:|---:|\n"
                + "\n".join(
                    f"| {k} | {v['r64_step_ms']:.0f} | {v['softmax_floor_ms']:.0f} | {v['exp_floor_ms']:.0f} "
                    f"| {1 + v['exp_floor_over_r64']:.2f} |"
                    for k, v in floors.items()
                )
            )
        )
    page.record(
        "heads_goal_out_of_reach",
        [k for k, ok in hd.get("reachable", {}).items() if not ok] or "none measured",
    )

# %% [markdown]
# The goal is the $r = 1$ step and its kept activations within {glue:text}`heads_goal` times
# those of $r = 64$. Met by the new path at: {glue:text}`heads_goal_met`; missed at:
# {glue:text}`heads_goal_missed`. On this CPU the fused kernel keeps no probabilities either, but
# it keeps its output and one log-sum-exp per query and head (as large as the queries at
# $r = 1$); `SmallHeadAttention` keeps only the queries, keys and values and recomputes the rest in
# the backward pass. The time cannot follow the parameters as $N$ grows: the $H N^2$ scores, their
# exponentials and the weighted sums are elementwise work, $N / r$ times the projections' per
# token, that no kernel removes. The second table bounds it from below: at $r = 1$ the model has
# 4096 heads, and a softmax forward and backward over their scores alone, or only the two
# exponentials per score that a kernel recomputing the probabilities needs (at this CPU's measured
# rate for PyTorch's vectorised exp), already costs the column's multiple of the whole $r = 64$
# step. Where that multiple exceeds {glue:text}`heads_goal`, no kernel built on PyTorch's exp
# reaches the goal on this CPU: {glue:text}`heads_goal_out_of_reach`.
#
# ## 7. Thread wait policy
#
# PyTorch's CPU threads are GNU OpenMP's; between parallel regions a waiting thread spins
# `GOMP_SPINCOUNT` iterations, then sleeps (`OMP_WAIT_POLICY=ACTIVE`: spin for ever; `PASSIVE`:
# sleep at once; neither set: 300,000 iterations). Page 12's first quick-profile run (six models,
# {glue:text}`threads_workload`) for {glue:text}`threads_steps` steps in a fresh process per
# policy, alone and as two processes at once ("shared"), the median of {glue:text}`threads_rounds`
# interleaved rounds (the tables give the median and, in brackets, each round); the
# 1-minute load average at each measurement was {glue:text}`threads_load_range` (the machine was
# shared with other work, so "alone" is not idle). Measured on {glue:text}`where_threads_idle`
# (`threads_idle.json`) and {glue:text}`where_threads` (`threads.json`).

# %%
for name in ("threads_idle", "threads"):
    th = results.get(name)
    if th:
        page.record(f"{name}_loads", ", ".join(f"{v:.1f}" for r in th["rows"] for v in r["load_1min"]))
        display(
            Markdown(
                f"**{name}.json**, 1-minute load averages at its measurements: {min(min(r['load_1min']) for r in th['rows']):.1f} to {max(max(r['load_1min']) for r in th['rows']):.1f}"
            )
        )
        display(
            Markdown(
                "| policy | environment | ms per step, alone (rounds) | vs ACTIVE "
                "| ms per step, shared (rounds) | vs ACTIVE |\n"
                "|---|---|---:|---:|---:|---:|\n"
                + "\n".join(
                    f"| {r['policy']} | `{r['env']}` | {r['alone_ms']:.0f} "
                    f"({', '.join(f'{x:.0f}' for x in r['alone_runs_ms'])}) | {r['alone_vs_active']:.2f} "
                    f"| {r['shared_ms']:.0f} ({', '.join(f'{x:.0f}' for x in r['shared_runs_ms'])}) "
                    f"| {r['shared_vs_active']:.2f} |"
                    for r in th["rows"]
                )
            )
        )
th = results.get("threads")
if th:
    page.record(
        "threads_workload", ", ".join(f"{k} = {v}" for k, v in th["workload"].items() if k != "seeds")
    )
    page.record("threads_steps", th["steps"])
policy = {
    name: {r["policy"]: r for r in results[name]["rows"]}
    for name in ("threads_idle", "threads")
    if name in results
}
if "threads_idle" in policy:
    idle = policy["threads_idle"]
    for side in ("alone", "shared"):
        page.record(f"idle_{side}_vs_active", {p: round(r[f"{side}_vs_active"], 2) for p, r in idle.items()})
if "threads" in policy:
    loaded = policy["threads"]
    passive = loaded["PASSIVE"]
    for side in ("alone", "shared"):
        page.record(
            f"loaded_{side}_vs_passive",
            {
                p: round(r[f"{side}_ms"] / passive[f"{side}_ms"], 2)
                for p, r in loaded.items()
                if p != "PASSIVE"
            },
        )
    page.record("threads_rounds", th["rounds"])
    page.record(
        "threads_load_range",
        f"{min(min(r['load_1min']) for r in th['rows']):.1f} to {max(max(r['load_1min']) for r in th['rows']):.1f}",
    )

# %% [markdown]
# Two runs: `threads_idle.json` while the shared machine was nearly idle, `threads.json` (which
# also tries `GOMP_SPINCOUNT=1000`) after other jobs had started again. Nearly idle, the time
# per step relative to `ACTIVE` was, alone: {glue:text}`idle_alone_vs_active`; shared:
# {glue:text}`idle_shared_vs_active`. Under load, relative to `PASSIVE`, alone:
# {glue:text}`loaded_alone_vs_passive`; shared: {glue:text}`loaded_shared_vs_passive`. The
# Makefile sets `GOMP_SPINCOUNT=10000` (override with `OMP_WAIT_POLICY=PASSIVE` on a machine
# shared with other work).
#
# ## 8. The whole book, quick profile

# %%
book_dir = results_path("90_performance", "quick", seed).parent  # this seed's quick-profile results
book, estimates_s = {}, {}
if book_dir.exists():
    for path in sorted(book_dir.glob("*.json")):
        run = json.loads(path.read_text())
        if run.get("profile") == "quick" and run.get("notebook") != "90_performance":
            book[run["notebook"]] = run["wall_time_s"]
            if "work_estimate_s" in run.get("numbers", {}):
                estimates_s[run["notebook"]] = run["numbers"]["work_estimate_s"]
book_minutes = sum(book.values()) / 60 if book else None
all_pages = sorted(p.stem for p in (root / "notebooks").glob("[0-9][0-9]_*.py") if p.stem != "90_performance")
page.record("book_pages", len(all_pages))
page.record("book_missing", [nb for nb in all_pages if nb not in book] or "none")
# a training page that finished in well under its own estimate from its first steps read its runs
# from the results cache instead of training them
cached = [nb for nb, est in estimates_s.items() if book[nb] < 0.5 * est]
page.record("book_cached", cached or "none")
page.record("book_trained", [nb for nb in estimates_s if nb not in cached] or "none")
page.record("book_notebooks", len(book))
page.record("book_dir", str(book_dir.relative_to(root)) if book_dir.is_relative_to(root) else str(book_dir))
page.record("book_minutes", f"{book_minutes:.1f} minutes" if book else "not available (no results found)")
if book:
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(book) + 1.5))
    ax.barh(list(book), list(book.values()), color=["C7" if nb in cached else "C0" for nb in book])
    ax.invert_yaxis()
    if cached:
        ax.legend(
            handles=[plt.Rectangle((0, 0), 1, 1, color="C7"), plt.Rectangle((0, 0), 1, 1, color="C0")],
            labels=["training runs read from the cache", "computed"],
            fontsize=8,
            loc="lower right",
        )
    ax.set(xlabel="wall time (s)", title=f"quick profile: {book_minutes:.1f} min in all")
    fig.tight_layout()
    page.figure("fig_perf_book", fig)

# %% [markdown]
# The last quick-profile execution of each of the {glue:text}`book_notebooks` of the book's
# {glue:text}`book_pages` other pages found in {glue:text}`book_dir` (this page's seed; not found:
# {glue:text}`book_missing`) took {glue:text}`book_minutes` together (the sum of per-page wall
# times, i.e. executed one after another; from the current build, on the machine and at the load
# it ran with, not from the benchmark run). This time depends on the results cache: a training
# page whose runs are cached renders in seconds instead of training for minutes. Judged by each
# training page's own estimate from its first steps (a page that finished in under half of it
# read its runs from the cache), the cache served {glue:text}`book_cached`, and
# {glue:text}`book_trained` trained. A build from a cold cache takes longer by the difference.
#
# ## 9. What was hoped: the targets, and which the recorded runs met

# %%
k8_rows = [r for r in rows2 if r["K"] == 8]
best_k8 = max(k8_rows, key=lambda r: r["separate_ms"] / r["batched_ms"])
checks = [
    ("fig1: geometric-mean speed-up", geomean, ">=", targets.fig1_geomean_ratio),
    ("fig1: slowest configuration's speed-up", float(ratios.min()), ">=", targets.fig1_every_ratio),
    (
        f"batched K=8 throughput ratio (best: {best_k8['sizes']} sizes, {best_k8['threads']} thr)",
        best_k8["separate_ms"] / best_k8["batched_ms"],
        ">=",
        targets.batched_throughput_K8,
    ),
    (
        "batched K=8 cost / 8 separate runs (same)",
        best_k8["batched_ms"] / best_k8["separate_ms"],
        "<=",
        targets.batched_cost_fraction_K8,
    ),
    (
        f"whole runs: one K=8 run / 8 one-seed runs ({runs['steps']} steps, best threads each)",
        run_fraction,
        "<=",
        targets.batched_cost_fraction_K8,
    ),
    (
        "FLOP/s fraction of matmul peak (best of H=1, H=8)",
        max(fractions.values()),
        ">=",
        targets.flops_fraction,
    ),
]
if book_minutes is not None:
    checks.append(("whole book, quick profile (minutes)", book_minutes, "<=", targets.book_minutes_quick))
met = {name: (v >= t if op == ">=" else v <= t) for name, v, op, t in checks}
page.record("targets_met", [name for name in met if met[name]])
page.record("targets_missed", [name for name in met if not met[name]])
table_md = "| target | recorded | required | met |\n|---|---|---|---|\n" + "\n".join(
    f"| {name} | {v:.3g} | {op} {t:g} | {'yes' if met[name] else '**no**'} |" for name, v, op, t in checks
)
display(Markdown(table_md))

# %% [markdown]
# The table is computed on this page from the recorded timings and the targets in
# `attnlab.book.profiles.SIZES["90_performance"]`; a "no" is a target the recorded run missed, not a
# failed page. Our reading of the misses, not measured here: in the fig1 configurations the
# feed-forward layer, which both implementations run as the same large matrix products, holds up
# to {glue:text}`fig1_max_ff_share:.0%` of a step's FLOPs (section 1), so a reorganisation can only
# shorten the rest; and batching $K$ models cannot divide work that grows with $K$ (section 2).
#
# **The recorded files agree with themselves.** Every derived number above is recomputed here
# from the raw timings; next to it, what the benchmark script wrote. A disagreement would mean
# that the scripts and this page compute different things; it is shown, not claimed, since a
# file compared with itself cannot tell whether the machine is fast.

# %%
flops_here = step_flops(**{k: fl["sizes"][k] for k in ("d", "N", "batch", "layers", "c", "ff")})
consistency = {
    "fig1 speed-ups and their geometric mean": all(
        math.isclose(r["ratio"], x, rel_tol=1e-9) for r, x in zip(rows1, ratios, strict=True)
    )
    and math.isclose(fig1["geomean_ratio"], geomean, rel_tol=1e-9),
    "fig1 met/missed flags under this page's targets": fig1["met"]["geomean_ratio_at_least"]
    == (geomean >= targets.fig1_geomean_ratio)
    and fig1["met"]["every_ratio_at_least"] == bool(ratios.min() >= targets.fig1_every_ratio),
    "batched throughput ratios": all(
        math.isclose(r["throughput_ratio"], r["separate_ms"] / r["batched_ms"], rel_tol=1e-9) for r in rows2
    ),
    "whole-run cost fraction, at the fastest thread counts": math.isclose(
        runs["cost_fraction"], run_fraction, rel_tol=1e-9
    )
    and all(run_s[side][best_threads[side]] == min(run_s[side].values()) for side in run_s),
    "FLOPs per step and fractions of peak": all(
        math.isclose(r["fraction_of_peak"], fractions[f"H={r['H']}"], rel_tol=1e-9)
        and math.isclose(r["gflop_per_step"] * 1e9, flops_here, rel_tol=1e-9)
        for r in rows3
    ),
    "fitted and FLOP-predicted scaling slopes": all(
        math.isclose(slopes[k]["fitted"], sc[k]["fitted_slope"], rel_tol=1e-6)
        and math.isclose(slopes[k]["expected"], sc[k]["expected_slope"], rel_tol=1e-6)
        for k in ("N", "d")
    ),
    "Ray / in-process sweep ratio": math.isclose(sw["ratio_ray_to_in_process"], sweep_ratio, rel_tol=1e-9),
    "torch version of the recording is this page's": all(
        r["machine"]["torch"] == torch.__version__ for r in results.values()
    ),
}
page.record("consistency", consistency)
page.record("inconsistent", [name for name, ok in consistency.items() if not ok] or "none")
display(
    Markdown(
        "| recomputed here | agrees with the benchmark's file |\n|---|---|\n"
        + "\n".join(f"| {name} | {'yes' if ok else '**no**'} |" for name, ok in consistency.items())
    )
)

# %% [markdown]
# Disagreements: {glue:text}`inconsistent`.
#
# ## Claims
#
# One claim, computed on this page rather than read from a file: the analytic FLOP count that
# section 3 divides by agrees with PyTorch's count of the products the model runs.

# %%
page.claim(
    "step_flops equals PyTorch's FLOP count of a forward and backward pass at the FLOP/s benchmark's sizes (max relative difference over its head counts)",
    count_err,
    "<=",
    0.01,
    counted_over_analytic=count_ratio,
    training_step_over_analytic=step_ratio,
    batch=count_batch,
)
page.finish()
