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
# The paper's first figure alone took about 300 training runs of 2-6 GPU hours each. This book
# reruns its experiments on a 2-core CPU, so its training engine (`attnlab.encoder` and
# `attnlab.train`) has to be fast: K models trained together with stacked parameters, the
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
# 5. the wall time of the whole book in the quick profile.
#
# **This page times nothing.** Timings on a shared CI machine are noise, so the benchmarks
# are run by hand (`.venv/bin/python benchmarks/run_all.py`, about 5-10 minutes on an idle
# machine) and their JSON results are committed under `benchmarks/results/`; the page reads
# them, recomputes every derived number from the raw timings and checks it against what the
# benchmark wrote, and says which targets the recorded run met. The numbers were recorded on
# {glue:text}`machine` on {glue:text}`recorded`, with torch {glue:text}`torch_recorded`.

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
from attnlab.page import project_root
from attnlab.train import step_flops

page = attnlab.Page("90_performance", profile=profile, seed=seed)
cfg = page.cfg
targets = cfg.targets
sns.set_theme(context="notebook", style="whitegrid")

root = project_root()
bench_dir = root / cfg.results_dir
paths = {name: bench_dir / f"{name}.json" for name in cfg.benchmarks}
found = {name: path.exists() for name, path in paths.items()}
results = {name: json.loads(path.read_text()) for name, path in paths.items() if found[name]}
machine = results["fig1"]["machine"]
page.record("machine", f"{machine['cpu']} ({machine['nproc']} cores)")
page.record("recorded", machine["recorded"][:16].replace("T", " ") + " UTC")
page.record("torch_recorded", machine["torch"])
page.record("threads", machine["threads"])


# %% [markdown]
# ## 1. The paper's fig1 step against the straightforward implementation
#
# $d = 64$, $N = 16$, batch 256, feed-forward 2048; a step is fresh data, forward, loss,
# backward and AdamW. Both implementations were timed in the same process with the same
# allocator setting (the headline ratio), and the straightforward one again in a fresh process
# with glibc's allocator untouched ("stock"), which is what a user of that code gets. attnlab
# asks glibc to keep freed memory (`attnlab.device.keep_freed_memory`): on this VM a page
# fault on freshly mapped memory costs more than the arithmetic on it.

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

fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
x = np.arange(len(rows1))
ax = axes[0]
ax.bar(x - 0.2, [r["naive_ms"] for r in rows1], 0.4, label="straightforward (naive.py)", color="C7")
ax.bar(x + 0.2, [r["attnlab_ms"] for r in rows1], 0.4, label="attnlab", color="C0")
ax.set(xticks=x, ylabel="ms per training step", yscale="log", title="fig1 sizes: time per step")
ax.set_xticklabels(labels, rotation=20, fontsize=8)
ax.legend(fontsize=8)
ax = axes[1]
ax.bar(x - 0.2, ratios, 0.4, label="same allocator", color="C0")
ax.bar(x + 0.2, ratios_stock, 0.4, label="naive in a stock process", color="C1", alpha=0.7)
ax.axhline(targets["fig1_geomean_ratio"], color="C3", ls="--", label="target: geometric mean 2x")
ax.axhline(1.0, color="k", lw=0.8)
ax.set(xticks=x, ylabel="speed-up (naive time / attnlab time)", title="speed-up per configuration")
ax.set_xticklabels(labels, rotation=20, fontsize=8)
ax.legend(fontsize=8)
fig.tight_layout()
page.figure("fig_perf_fig1", fig)

# %% [markdown]
# Speed-ups per configuration: {glue:text}`fig1_ratios`; geometric mean
# {glue:text}`fig1_geomean:.2f` (against the straightforward code in a stock process:
# {glue:text}`fig1_geomean_stock:.2f`), smallest {glue:text}`fig1_min_ratio:.2f`. Where the
# feed-forward layer dominates (one head, $c = 1$) both implementations spend their time in the
# same large matrix products, and there is little to win; the gains come from the $c = 64$
# configuration, where the straightforward code calls 64 attention modules one after another,
# and from the memory traffic attnlab avoids.
#
# ## 2. K models in one batched pass
#
# Notebook 12 trains every (rank, seed) of one shape together. The throughput ratio is
# $K\,t_1 / t_K$: the time of $K$ separate one-model steps over the time of one $K$-model step.

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
ax.axhline(targets["batched_throughput_K8"], color="C3", ls="--", label="issue 5 target at K=8 (3x)")
ax.axhline(1 / targets["batched_cost_fraction_K8"], color="C3", ls=":", label="issue 3 target at K=8 (2x)")
ax.axhline(1.0, color="k", lw=0.8)
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
page.record("runs_fraction", run_fraction)
page.record(
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
# product cover all models. At the quick sizes a model's step is about a hundred MFLOP and
# little of its time is overhead: most of it is memory traffic that grows with $K$ like the
# arithmetic does, so batching cannot divide it. Where the ratio exceeds what the arithmetic
# allows, the separate runs were paying for idle cores (a small model does not keep two threads
# busy).
#
# **The claim itself, on whole runs.** One `attnlab.train.train` run of 8 seeds against 8
# one-seed runs ({glue:text}`runs_steps` steps each, quick sizes, model building included, the
# two alternated so that drift in the machine's speed hits both): {glue:text}`runs_seconds`.
# Each side at its own best thread count, the batched run costs {glue:text}`runs_fraction:.2f`
# of the separate ones (target: at most 0.5; section 6 says whether the recorded run met it).
# On the project's 2-core CPU it does not: a single small model already keeps most of both
# cores busy and spends little of its time on overhead.
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
page.record("flops_sizes", ", ".join(f"{k} = {v}" for k, v in fl["sizes"].items()))
fig, ax = plt.subplots(figsize=(6, 3.6))
ax.bar(list(fractions), [100 * v for v in fractions.values()], color="C0")
ax.axhline(100 * targets["flops_fraction"], color="C3", ls="--", label="target 40%")
ax.set(ylabel="% of measured matmul peak", title="achieved FLOP/s of a training step", ylim=(0, 100))
ax.legend(fontsize=8)
fig.tight_layout()
page.figure("fig_perf_flops", fig)

# %% [markdown]
# At {glue:text}`flops_sizes` a training step reaches {glue:text}`flops_fractions` of the
# {glue:text}`peak_gflops` GFLOP/s that one large float32 matrix product achieves on the same
# threads (FLOPs of matrix products only, counted from the formula in `train_flops` above). The
# rest is attention on 16-point sequences (tiny matrices, far from peak), the elementwise
# passes (normalisations, softmax, ReLU, AdamW) that move memory without arithmetic, and
# the narrow projections, whose products are limited by writing their outputs.
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

# %% [markdown]
# Against $N$ (4 to 1024, $d = 64$, batch 32) the step time grows with fitted slope
# {glue:text}`slope_N` where the FLOP count predicts {glue:text}`slope_N_expected`; against $d$
# (16 to 256, $N = 16$, batch 256) {glue:text}`slope_d` against {glue:text}`slope_d_expected`.
# Asymptotically the exponents are 2 in both (attention's $N^2$, the projections' $d^2$), but
# over these ranges the 2048-wide feed-forward layer, linear in both, dominates. Measured slopes
# below the predicted ones mean that small problems run further from peak (fixed overheads),
# slopes above mean that large ones do (memory traffic, attention's small matrices).
#
# ## 5. The whole book, quick profile

# %%
book_dir = root / "_build" / "results"
book = {}
if book_dir.exists():
    for path in sorted(book_dir.glob("*.json")):
        run = json.loads(path.read_text())
        if run.get("profile") == "quick" and run.get("notebook") != "90_performance":
            book[run["notebook"]] = run["wall_time_s"]
book_minutes = sum(book.values()) / 60 if book else None
page.record("book_notebooks", len(book))
page.record("book_minutes", f"{book_minutes:.1f} minutes" if book else "not available (no _build/results)")
if book:
    fig, ax = plt.subplots(figsize=(7, 0.3 * len(book) + 1.5))
    ax.barh(list(book), list(book.values()), color="C0")
    ax.invert_yaxis()
    ax.set(xlabel="wall time (s)", title=f"quick profile: {book_minutes:.1f} min in all")
    fig.tight_layout()
    page.figure("fig_perf_book", fig)

# %% [markdown]
# The last quick-profile execution of each of the {glue:text}`book_notebooks` notebooks found in
# `_build/results/` took {glue:text}`book_minutes` together (the sum of per-notebook wall times,
# i.e. executed one after another; from the current build, not from the benchmark run).
#
# ## 6. Targets: which the recorded run met

# %%
k8_rows = [r for r in rows2 if r["K"] == 8]
best_k8 = max(k8_rows, key=lambda r: r["separate_ms"] / r["batched_ms"])
checks = [
    ("fig1: geometric-mean speed-up", geomean, ">=", targets["fig1_geomean_ratio"]),
    ("fig1: slowest configuration's speed-up", float(ratios.min()), ">=", targets["fig1_every_ratio"]),
    (
        f"batched K=8 throughput ratio (best: {best_k8['sizes']} sizes, {best_k8['threads']} thr)",
        best_k8["separate_ms"] / best_k8["batched_ms"],
        ">=",
        targets["batched_throughput_K8"],
    ),
    (
        "batched K=8 cost / 8 separate runs (same)",
        best_k8["batched_ms"] / best_k8["separate_ms"],
        "<=",
        targets["batched_cost_fraction_K8"],
    ),
    (
        f"whole runs: one K=8 run / 8 one-seed runs ({runs['steps']} steps, best threads each)",
        run_fraction,
        "<=",
        targets["batched_cost_fraction_K8"],
    ),
    (
        "FLOP/s fraction of matmul peak (best of H=1, H=8)",
        max(fractions.values()),
        ">=",
        targets["flops_fraction"],
    ),
]
if book_minutes is not None:
    checks.append(("whole book, quick profile (minutes)", book_minutes, "<=", targets["book_minutes_quick"]))
met = {name: (v >= t if op == ">=" else v <= t) for name, v, op, t in checks}
page.record("targets_met", [name for name in met if met[name]])
page.record("targets_missed", [name for name in met if not met[name]])
table_md = "| target | recorded | required | met |\n|---|---|---|---|\n" + "\n".join(
    f"| {name} | {v:.3g} | {op} {t:g} | {'yes' if met[name] else '**no**'} |" for name, v, op, t in checks
)
display(Markdown(table_md))

# %% [markdown]
# The table is computed on this page from the recorded timings and the targets in
# `attnlab.profiles.SIZES["90_performance"]`; a "no" is a target the recorded run missed, not a
# failed page. Why the misses are misses on a 2-core CPU: the fig1 configurations with one head
# and $c \le 8$ spend most of their time in the same large matrix products as the
# straightforward code, so no reorganisation can make them twice as fast; and batching $K$
# models cannot divide work that is already proportional to $K$ (see section 2).
#
# ## Claims

# %%
page.claim(
    "every benchmark result file exists and was recorded with the torch version this page runs",
    all(found.values()) and all(r["machine"]["torch"] == torch.__version__ for r in results.values()),
    found=found,
    recorded={name: r["machine"]["torch"] for name, r in results.items()},
    current=torch.__version__,
)
page.claim(
    "fig1: the speed-ups and their geometric mean recomputed here equal the benchmark's",
    all(math.isclose(r["ratio"], x, rel_tol=1e-9) for r, x in zip(rows1, ratios, strict=True))
    and math.isclose(fig1["geomean_ratio"], geomean, rel_tol=1e-9),
    page=geomean,
    benchmark=fig1["geomean_ratio"],
)
page.claim(
    "fig1: the benchmark's met/missed flags agree with this page's targets applied to its numbers",
    fig1["met"]["geomean_ratio_at_least"] == (geomean >= targets["fig1_geomean_ratio"])
    and fig1["met"]["every_ratio_at_least"] == bool(ratios.min() >= targets["fig1_every_ratio"]),
    flags=fig1["met"],
)
page.claim(
    "batched seeds: throughput ratios recomputed from the times equal the benchmark's",
    all(math.isclose(r["throughput_ratio"], r["separate_ms"] / r["batched_ms"], rel_tol=1e-9) for r in rows2),
    k8=k8,
)
page.claim(
    "batched seeds, whole runs: the cost fraction recomputed here equals the benchmark's, and its best "
    "thread counts are the fastest recorded",
    math.isclose(runs["cost_fraction"], run_fraction, rel_tol=1e-9)
    and all(run_s[side][best_threads[side]] == min(run_s[side].values()) for side in run_s),
    page=run_fraction,
    benchmark=runs["cost_fraction"],
)
page.claim(
    "FLOP/s: the package's FLOP count (attnlab.train.step_flops) and fractions recomputed here equal the benchmark's",
    all(
        math.isclose(r["fraction_of_peak"], fractions[f"H={r['H']}"], rel_tol=1e-9)
        and math.isclose(
            r["gflop_per_step"] * 1e9,
            step_flops(**{k: fl["sizes"][k] for k in ("d", "N", "batch", "layers", "c", "ff")}),
            rel_tol=1e-9,
        )
        for r in rows3
    ),
    fractions=fractions,
)
page.claim(
    "scaling: the log-log slopes fitted here (measured and FLOP-predicted) equal the benchmark's",
    all(
        math.isclose(slopes[k]["fitted"], sc[k]["fitted_slope"], rel_tol=1e-6)
        and math.isclose(slopes[k]["expected"], sc[k]["expected_slope"], rel_tol=1e-6)
        for k in ("N", "d")
    ),
    slopes=slopes,
)
page.finish()
