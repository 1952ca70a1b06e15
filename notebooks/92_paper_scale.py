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
# # Running at paper scale
#
# The `quick` profile runs the whole book on a small CPU machine (see its last run times below). The `paper` profile runs the
# papers' own experiments, which the authors ran one GPU per training run {cite}`amsel2024code`:
# at the `paper` profile the rank chapter's training page alone is {glue:text}`paper_12_runs`
# training runs and {glue:text}`paper_12_steps` optimiser steps. This page says what every
# training page costs at every profile, how to run it on one GPU or on a Ray cluster, and how to
# bring results computed elsewhere into the book.
#
# ## What each page costs
#
# Every training page plans its work from its sizes before anything trains
# (`planned_work(cfg)` in its module, listed in `attnlab.book.plans.PLANNERS`): the models it
# trains (a batched run of $K$ models counts $K$), its optimiser steps (a batched run steps
# once for all its models, in however many memory passes, below) and its FLOPs, from each
# model's FLOP formula. The runs, steps and FLOPs below are computed here from those plans, for
# every profile, without training anything; the times need a few timed steps (below).
#
# The time columns are estimates. **On this CPU** ({glue:text}`cpu_name`, torch with each page's
# own thread count), a page's time is measured on its own shapes, with throw-away models
# (`attnlab.book.plans.estimate`): for each page and profile this page times
# {glue:text}`cfg_timing_steps` training steps (after {glue:text}`cfg_timing_warmup` warm-up) of
# some of the page's runs, and more steps until they take {glue:text}`cfg_timing_min_seconds` s.
# The runs with the most FLOPs over all their steps are timed on their own, up to a number of
# run shapes per profile ({glue:text}`cfg_timing_max_runs`; the table's column "shapes timed"),
# and each is estimated as its planned FLOPs at the rate its own step reached: the rates of one
# page's runs differ, by up to a factor of {glue:text}`rate_spread:.1f` here (on
# {glue:text}`rate_spread_page` at the quick profile), so one rate for a whole page misleads.
# The page's other runs are estimated by a model of a step, a fixed cost (Python,
# dispatch, the optimiser loop, small kernels) plus FLOPs at a rate, both fitted through the timed
# steps of its smallest run (fewest FLOPs per step) and its dominant one (most FLOPs over all its
# steps): fixed cost x optimiser steps + seconds per FLOP x FLOPs. A run whose step exceeds
# {glue:text}`timing_max_gflop` GFLOP is timed with one model and, if still above, at a
# smaller batch, so the timing takes seconds at any profile. The machine is shared: the load
# average during the timing was {glue:text}`timing_load` (1, 5, 15 minutes) on
# {glue:text}`cpu_count` cores, and a loaded machine makes every estimate longer.
#
# **On a GPU** the column is the page's FLOPs at an *assumed*
# {glue:text}`gpu_fraction` of the float32 peak of an {glue:text}`cfg_gpu_name`
# ({glue:text}`cfg_gpu_peak_tflops` TFLOP/s, NVIDIA's data sheet, without tensor cores, which
# torch leaves off for float32 products by default). Small models run far below any GPU's peak
# (their steps are bound by kernel launches, as this CPU's fixed cost shows), so for the quick
# and laptop profiles and for the small composition models this column is a lower bound. A
# section below sets it against the same estimates timed on a GPU.

# %% tags=["parameters"]
profile = "quick"
seed = 0

# %%
import json
import os

import torch
from IPython.display import Markdown, display

import attnlab
from attnlab.book.page import project_root, results_path, threads_override
from attnlab.book.plans import RUNS, SHARED_LOAD, describe, estimate, step_flops, why_not_comparable
from attnlab.book.profiles import PROFILES, SMOKE_BATCH, SMOKE_SAMPLES, sizes
from attnlab.rank import depth, rank_heads
from attnlab.rank.memory import memory_plan
from attnlab.rank.runs import unique_groups
from attnlab.runtime.device import CPU_MEMORY_SHARE, GPU_MEMORY_SHARE, device_name, memory_budget
from attnlab.runtime.work import format_flops, format_seconds

page = attnlab.Page("92_paper_scale", profile=profile, seed=seed)
cfg = page.cfg

# %%
# every page at every profile: planned work, and its time from two timed steps of its own runs
page.record("cpu_name", device_name("cpu"))
page.record("cpu_count", os.cpu_count())
page.record("gpu_fraction", f"{cfg.gpu_fraction:.0%}")
page.record("timing_max_gflop", f"{cfg.timing_max_flops / 1e9:g}")
all_threads = torch.get_num_threads()
estimates, threads_used = {}, {}
for nb in RUNS:
    for p in PROFILES:
        threads_used[nb, p] = threads_override() or getattr(sizes(nb, p), "threads", None) or all_threads
        torch.set_num_threads(threads_used[nb, p])
        estimates[nb, p] = estimate(
            nb,
            p,
            seed,
            "cpu",
            steps=cfg.timing_steps,
            warmup=cfg.timing_warmup,
            max_flops=cfg.timing_max_flops,
            min_seconds=cfg.timing_min_seconds,
            max_runs=cfg.timing_max_runs[p],
        )
torch.set_num_threads(all_threads)
shapes = {
    (nb, p): len({(describe(c), step_flops(c)) for c in RUNS[nb](sizes(nb, p), seed)}) for nb, p in estimates
}
spread = {  # per page, the fastest over the slowest rate of the runs timed on their own, at quick
    nb: max(t.flops / t.seconds for t, _ in e.timed) / min(t.flops / t.seconds for t, _ in e.timed)
    for (nb, p), e in estimates.items()
    if p == "quick" and e.timed
}
rate_spread_page = max(spread, key=spread.get)
page.record("rate_spread", spread[rate_spread_page])
page.record("rate_spread_page", rate_spread_page)
page.record("timing_load", ", ".join(f"{x:.1f}" for x in os.getloadavg()))
gpu_rate = cfg.gpu_fraction * cfg.gpu_peak_tflops * 1e12  # FLOP/s, an assumption
plans = {key: e.work for key, e in estimates.items()}
last_quick, last_note, last_load = {}, {}, {}  # the last quick-profile run of each page, this seed
for nb in RUNS:
    path = results_path(nb, "quick", seed)
    if path.exists():
        run = json.loads(path.read_text())
        last_quick[nb] = run["wall_time_s"]
        last_load[nb] = ", ".join(f"{x:.1f}" for x in run.get("load_avg", []))
        last_note[nb] = why_not_comparable(run, plans[nb, "quick"].flops, threads_used[nb, "quick"])
last_note = {nb: note for nb, note in last_note.items() if note}
page.record(
    "plans",
    {
        f"{nb} {p}": {
            "runs": e.work.runs,
            "steps": e.work.steps,
            "flops": e.work.flops,
            "estimate_s": e.seconds,
            "per_step_s": e.per_step,
            "gflops_dominant": e.gflops,
            "timed": [e.smallest.label, e.dominant.label],
            "shapes_timed": [len(e.timed), shapes[nb, p]],
            "gpu_estimate_s": e.work.flops / gpu_rate,
        }
        for (nb, p), e in estimates.items()
    },
)
page.record("last_quick_s", last_quick)
page.record("last_quick_load", last_load)
page.record("shared_load", SHARED_LOAD)
quick_vs_last = {
    nb: estimates[nb, "quick"].seconds / last_quick[nb] for nb in last_quick if nb not in last_note
}
page.record(
    "quick_estimate_over_last", {nb: round(r, 2) for nb, r in quick_vs_last.items()} or "none comparable"
)
page.record("quick_not_compared", {nb: note for nb, note in last_note.items()} or "none")
page.record("quick_compared", len(quick_vs_last))
page.record("paper_12_runs", f"{plans['12_training_rank_heads', 'paper'].runs:,}")
page.record("paper_12_steps", f"{plans['12_training_rank_heads', 'paper'].steps:,}")
rows = [
    f"| {nb} | `{p}` | {e.work.runs:,} | {e.work.steps:,} | {format_flops(e.work.flops)} | {e.gflops:.1f} "
    f"| {1000 * e.per_step:.0f} | {len(e.timed)} of {shapes[nb, p]} | {format_seconds(e.seconds)} | {format_seconds(e.work.flops / gpu_rate)} | "
    + (format_seconds(last_quick[nb]) if p == "quick" and nb in last_quick else "")
    + (f" (load {last_load[nb]})" if p == "quick" and last_load.get(nb) else "")
    + (f" ({last_note[nb]})" if p == "quick" and nb in last_note else "")
    + " |"
    for (nb, p), e in estimates.items()
]
display(
    Markdown(
        "| page | profile | runs | optimiser steps | FLOPs | GFLOP/s, dominant run | fixed ms per step "
        "| shapes timed | estimated time, this CPU | on the GPU (assumed rate) | last quick run |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" + "\n".join(rows)
    )
)
display(
    Markdown(
        "| page | profile | smallest run, timed | dominant run, timed |\n|---|---|---|---|\n"
        + "\n".join(
            f"| {nb} | `{p}` | {e.smallest.label}{' (cut)' if e.smallest.cut else ''} "
            f"| {e.dominant.label}{' (cut)' if e.dominant.cut else ''} |"
            for (nb, p), e in estimates.items()
        )
    )
)

# %% [markdown]
# The second table names the two runs the step model is fitted through, for each row (`K` models
# trained together; "cut": timed with fewer models or a smaller batch than the run trains with).
# Each timed run is timed for at least {glue:text}`cfg_timing_min_seconds` s of steps: on a shared machine the median of
# a few steps of milliseconds samples the load of a few time slices only.
#
# The last column of the first table is the page's own wall time in its last `quick` run on this
# machine, where one was found in the results, with the load average when it ended (1, 5, 15
# minutes): it includes what the page does besides training (figures, checks, start-up). A run
# is compared with its estimate only if it trained every result it used (a page records how many
# results its sweep computed and how many it read from the cache), at the sizes planned now,
# with the thread count the estimate here was timed with, and on cores it did not share: a
# one-minute load above {glue:text}`shared_load` per core at its end means other processes wanted
# its cores, and its wall time measured their work too. The quick estimate over that wall
# time, per page: {glue:text}`quick_estimate_over_last`; not compared:
# {glue:text}`quick_not_compared`. Both the timing here and those runs were on a shared machine,
# so the claim below asks only that they agree within a factor of 2.
# For the paper profile of page 12 the dominant run is the $N = 256$, $c = 64$ group, whose
# thousands of small heads run far below this CPU's matrix-product rate (see page 90, section 6);
# its rate also sets the step model that estimates the page's runs not timed on their own, so the
# paper estimate is high by at most the share of those runs that run faster.
#
# The `paper` profile's FLOPs exceed the `quick` profile's by a factor of at least
# {glue:text}`min_paper_over_quick` (on {glue:text}`min_ratio_page`); per page:
# {glue:text}`paper_over_quick`. Both profiles are configurations, so this ratio is a printed fact
# about them, not a claim.

# %%
ratios = {nb: plans[nb, "paper"].flops / plans[nb, "quick"].flops for nb in RUNS}
smallest = min(ratios, key=ratios.get)
page.record("paper_over_quick", {nb: f"{r:,.0f}x" for nb, r in ratios.items()})
page.record("min_paper_over_quick", f"{ratios[smallest]:,.0f}")
min_ratio_page = page.record("min_ratio_page", smallest)

# %% [markdown]
# ## The GPU column, measured
#
# The GPU column above is an assumption. Where a GPU is at hand, `benchmarks/bench_gpu.py` runs
# the same estimate there (the same `attnlab.book.plans.estimate`, each timed step ending when its
# kernels have finished, at most {glue:text}`gpu_max_gflop` GFLOP per timed step) and
# writes `{glue:text}`cfg_gpu_timings``, which this page reads. It was last run on
# {glue:text}`gpu_device` ({glue:text}`gpu_when`, torch {glue:text}`gpu_torch`), where one large
# float32 matrix product ran at {glue:text}`gpu_peak_tflops:.1f` TFLOP/s. A row whose planned FLOPs
# differ from the file's was timed at other sizes and is marked so.
#
# Against that measurement the assumed-rate column is off by a factor from
# {glue:text}`gpu_ratio_min` to {glue:text}`gpu_ratio_max` (measured over assumed time), in both
# directions. The laptop profiles' models are small: a step costs
# {glue:text}`gpu_laptop_fixed_ms` ms whatever its FLOPs (kernel launches, the optimiser's loop over
# parameters), so the assumed rate, which knows only FLOPs, is far too optimistic for them. Page
# 12's paper runs are large enough for the GPU to run well above the assumed rate (its dominant
# run at {glue:text}`gpu_12_paper_tflops:.1f` TFLOP/s), so the assumption there is pessimistic; on
# the measured GPU that page's paper profile takes {glue:text}`gpu_12_paper_time`. The file is
# a measurement committed with the code, not rerun when the book builds: the table shows it, and
# no claim rests on it.

# %%
gpu_file = project_root() / cfg.gpu_timings
gpu = json.loads(gpu_file.read_text()) if gpu_file.exists() else None
page.record("gpu_timings_found", gpu is not None)
if gpu is None:
    display(Markdown(f"`{cfg.gpu_timings}` is not there: no GPU timing to show."))
else:
    page.record("gpu_device", gpu["device"])
    page.record("gpu_when", gpu["machine"]["recorded"][:10])
    page.record("gpu_torch", gpu["machine"]["torch"])
    page.record("gpu_peak_tflops", gpu["float32_peak_tflops"])
    page.record("gpu_max_gflop", f"{gpu['max_gflop_timed_whole']:g}")
    gpu_rows, measured = [], {}
    for row in gpu["rows"]:
        key = row["page"], row["profile"]
        if "error" in row:
            gpu_rows.append(f"| {key[0]} | `{key[1]}` | did not run: {row['error']} | | | | | |")
            continue
        here = plans.get(key)
        stale = here is None or abs(here.flops - row["flops"]) > 1e-9 * here.flops
        assumed = row["flops"] / gpu_rate  # the column above, for the FLOPs the file timed
        if not stale:
            measured[key] = row
        gpu_rows.append(
            f"| {key[0]} | `{key[1]}` | {format_seconds(row['estimate_s'])} "
            f"| {format_seconds(assumed)} | {row['estimate_s'] / assumed:.2g} "
            f"| {row['gflops_dominant'] / 1e3:.2f} | {1000 * row['per_step_s']:.1f} "
            f"| {row['max_memory_gib']:.1f} |" + (" other sizes |" if stale else " |")
        )
    ratios_gpu = {k: r["estimate_s"] / (r["flops"] / gpu_rate) for k, r in measured.items()}
    page.record("gpu_ratio_min", f"{min(ratios_gpu.values()):.2g}")
    page.record("gpu_ratio_max", f"{max(ratios_gpu.values()):,.0f}")
    laptop_fixed = [1000 * r["per_step_s"] for (nb, p), r in measured.items() if p == "laptop"]
    page.record("gpu_laptop_fixed_ms", f"{min(laptop_fixed):.1f} to {max(laptop_fixed):.1f}")
    p12 = measured.get(("12_training_rank_heads", "paper"))
    page.record("gpu_12_paper_tflops", p12["gflops_dominant"] / 1e3 if p12 else float("nan"))
    page.record("gpu_12_paper_time", format_seconds(p12["estimate_s"]) if p12 else "(not measured)")
    display(
        Markdown(
            "| page | profile | estimated time, measured GPU | at the assumed rate | measured / assumed "
            "| TFLOP/s, dominant run | fixed ms per step | GPU memory, GiB | |\n"
            "|---|---|---:|---:|---:|---:|---:|---:|---|\n" + "\n".join(gpu_rows)
        )
    )

# %% [markdown]
# ## Memory: models in passes
#
# A batched run of $K$ models trains them together only if their activations fit. Before it
# trains, every rank-chapter run plans its memory (`attnlab.rank.memory.models_per_pass`): one
# model's forward pass on one and on two sequences, with autograd's kept tensors recorded, gives
# the activations per sequence; three times that (the backward pass holds gradients while it
# frees activations; a unit test checks the plan against the resident peak of real steps) plus
# four copies of the parameters is the plan per model. The run then trains in as many passes as
# the device's budget needs (`attnlab.runtime.device.memory_budget`: {glue:text}`gpu_share` of a
# GPU's free memory, {glue:text}`cpu_share` of a CPU machine's memory, or `ATTNLAB_MEMORY_GB`).
# A model trains the same in any pass (its own initialisation, data and schedule), so the split
# changes no number; a run whose single model does not fit stops before training with an error
# that names `batch`.
#
# The table is the plan of every `paper` run of the rank chapter at the paper's batch, measured
# here on this CPU's kernels (a GPU's attention kernels keep similar tensors: queries, keys,
# values, outputs and one log-sum-exp per row), on a GPU of {glue:text}`cfg_gpu_gib` GiB and on
# this machine ({glue:text}`cpu_gib` GiB budget); runs alike in all but $N$ and batch share a row.

# %%
GiB = 2**30
gpu_budget, cpu_budget = int(GPU_MEMORY_SHARE * cfg.gpu_gib * GiB), memory_budget("cpu")
rank_runs = {
    "12_training_rank_heads": unique_groups(
        rank_heads.groups(sizes("12_training_rank_heads", "paper"), seed)
    ),
    "15_depth_long_context": unique_groups(
        depth.planned_groups(sizes("15_depth_long_context", "paper"), seed)
    ),
}
plans_here = {}  # rows of one page alike in everything but N and batch (page 15's N x batch is fixed) merge
for nb, runs in rank_runs.items():
    old_plans = memory_plan(runs, gpu_budget, path="fused")  # every rank on the fused kernel
    for run, gpu, here, old in zip(
        runs, memory_plan(runs, gpu_budget), memory_plan(runs, cpu_budget), old_plans, strict=True
    ):
        key = (
            nb[:2],
            run.model.layers,
            run.model.c,
            run.model.width,
            run.K,
            round(gpu["per_model"] / GiB, 2),
        )
        row = plans_here.setdefault(key, dict(sizes=set(), runs=0, gpu=gpu, here=here, old=old))
        row["sizes"].add((run.model.N, run.batch))
        row["runs"] += 1
largest = max(row["gpu"]["per_model"] for row in plans_here.values())
largest_old = max(row["old"]["per_model"] for row in plans_here.values())
page.record("gpu_share", f"{GPU_MEMORY_SHARE:.0%}")
page.record("cpu_share", f"{CPU_MEMORY_SHARE:.0%}")
page.record("cpu_gib", f"{cpu_budget / GiB:.1f}")
page.record("largest_model_gib", f"{largest / GiB:.1f}")
page.record("largest_model_gib_fused", f"{largest_old / GiB:.1f}")
page.record("most_passes_gpu", max(row["gpu"]["passes"] for row in plans_here.values()))
page.record("too_big_here", sum(row["here"]["passes"] is None for row in plans_here.values()))
page.record("shapes", len(plans_here))
page.record("smoke_batch", SMOKE_BATCH)
page.record("smoke_samples", SMOKE_SAMPLES)


def passes(plan):
    return (
        f"{plan['passes']} (up to {plan['per_pass']} models)" if plan["passes"] else "one model does not fit"
    )


def n_and_batch(sizes):  # "16", "256", or "4, 8, ...", "4096 / N" when N x batch is fixed
    Ns, batches = zip(*sorted(sizes), strict=True)
    tokens = {N * b for N, b in sizes}
    many = ", ".join(map(str, batches))  # N x batch not fixed (points // N rounds down)
    batch = str(batches[0]) if len(sizes) == 1 else f"{tokens.pop()} / $N$" if len(tokens) == 1 else many
    return ", ".join(map(str, Ns)), batch


display(
    Markdown(
        "| page | $N$ | batch | layers | $c$ | width | runs x models | GiB per model "
        "| GiB per model, fused kernel only | passes per run, GPU | passes per run, here |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        + "\n".join(
            f"| {nb} | {' | '.join(n_and_batch(row['sizes']))} | {L} | {c} | {w} | {row['runs']} x {k} "
            f"| {gib:.2f} | {row['old']['per_model'] / GiB:.2f} | {passes(row['gpu'])} | {passes(row['here'])} |"
            for (nb, L, c, w, k, gib), row in plans_here.items()
        )
    )
)

# %% [markdown]
# "width" is the model width $D$: the input dimension $d$, plus the positional coordinates that
# a run concatenates to each token (`EncoderConfig.pos_dim`; page 12's fig3 arm with concatenated
# positions), where it does.
# The column "fused kernel only" is the plan with every rank's attention on PyTorch's fused
# kernel, the column before it the plan with the kernel training uses (heads of dimension 1 and 2
# on `attnlab.rank.small_heads.SmallHeadAttention`, which keeps only queries, keys and values). On
# this CPU the fused kernel keeps, besides those, its output and one log-sum-exp per query and head
# (as large as the queries at rank 1), so the plans differ where a run's smallest rank is 1 or 2
# in a model of at least 1024 heads at $N \le 64$ (elsewhere the CPU runs the fused kernel, which
# is faster there).
# On a GPU the fused kernels do not take heads of dimension 1 or 2: training pads them there
# (`attention_path`), since unpadded they would fall back to a kernel that keeps every head's
# $N \times N$ probabilities, which this CPU measurement does not show.
#
# The largest model needs {glue:text}`largest_model_gib` GiB at the paper's batch
# ({glue:text}`largest_model_gib_fused` GiB with the fused kernel only); on the
# {glue:text}`cfg_gpu_gib` GiB GPU the most passes any run needs is {glue:text}`most_passes_gpu`.
# On this machine {glue:text}`too_big_here` of the {glue:text}`shapes` rows cannot fit even one
# model at the paper's batch, which is why a smoke run on this CPU caps training batches (below).

# %% [markdown]
# ## Check first: a smoke run
#
# A smoke run builds every model of a profile at full size and trains each for a few steps
# (training batches capped at {glue:text}`smoke_batch` sequences, evaluation at
# {glue:text}`smoke_samples` samples), with the page's claims recorded but not checked:
#
# ```bash
# .venv/bin/python -m attnlab.book.execute --profile paper --smoke 2 12_training_rank_heads 24_training_composition
# ```
#
# `make smoke` smoke-runs the `laptop` and `paper` profiles of every training page on the CPU
# (`tests/book/test_profiles_start.py`; minutes per page, so not part of `make test`), so a
# configuration error shows up there, not an hour into a GPU run.
#
# ## One GPU
#
# ```bash
# make book PROFILE=paper          # or: .venv/bin/python -m attnlab.book.execute --profile paper NAME
# ```
#
# Code picks the GPU when torch sees one (`ATTNLAB_DEVICE=cpu` or `cuda` forces a device). Each
# finished training run is written to the results cache as it completes, so an interrupted run
# resumes where it stopped when started again. `python benchmarks/bench_gpu.py` times every
# page's laptop and paper profiles on that GPU first (a few minutes; the section above shows its
# last result), so its estimates can be read before a run of days is started.
#
# ## A Ray cluster
#
# Both training chapters run their training configurations through one entry point,
# `attnlab.runtime.sweep.sweep`. With no cluster configured it runs them one after another in the
# notebook's process. With `ATTNLAB_RAY_ADDRESS` set, every configuration whose result is not yet
# in the cache becomes a Ray task (one GPU per task when the cluster has GPUs; a task whose
# worker dies is retried), and each result is written to the cache as it arrives.
#
# Ray is the `cluster` extra: `pip install -e ".[cluster]"` (`make` installs it). Start a cluster
# with Ray's own tools, on machines where this repository is installed in the same environment:
#
# ```bash
# ray start --head --port=6379                     # on the head node
# ray start --address=HEAD_IP:6379                 # on every other node
# ATTNLAB_RAY_ADDRESS=auto make book PROFILE=paper # on the head node
# ```
#
# `ATTNLAB_RAY_ADDRESS=local` starts a single-machine Ray instance for the run instead. Ray's usage
# statistics are switched off by `attnlab.runtime.sweep`. The numbers are the in-process run's: each
# task uses the driver's thread count and the same seeds (`tests/book/test_sweep.py` checks this
# on a local cluster, together with a worker killed mid-task and a driver killed mid-sweep). What
# Ray costs on a small sweep is measured on the [Performance](90_performance) page.
#
# ## Bringing results from elsewhere
#
# The results cache is plain files: `$ATTNLAB_CACHE/<namespace>/<key>.json` (under `make`,
# `_build/cache`), one file per training configuration, holding the configuration and its result.
# The key hashes the configuration, the source of the code that computes the run (the training
# and model modules it imports) and the torch version, so copy the cache folder of a run made
# with the same commit into `_build/cache` and `make book PROFILE=paper`
# renders the pages from it without training again.
#
# ## Claims
#
# The estimate is claimed against measured time only where a page's last quick run can be compared
# (above; {glue:text}`quick_compared` pages in this build). A checkout whose pages have not run yet
# has nothing to compare, and makes only the memory claim.

# %%
if quick_vs_last:  # a claim about the runs found; none found (a fresh checkout): nothing to claim
    page.claim(
        "the quick estimate is within a factor of 2 of the wall time of each page's last quick run "
        "that trained what it planned (largest factor either way)",
        max(max(r, 1 / r) for r in quick_vs_last.values()),
        "<=",
        2.0,
        estimate_over_measured={nb: round(r, 3) for nb, r in quick_vs_last.items()},
        measured_s={nb: last_quick[nb] for nb in quick_vs_last},
        load_at_end=last_load,
    )
page.claim(
    f"every paper-profile model of the rank chapter fits alone on a {cfg.gpu_gib} GiB GPU: the largest "
    f"model's planned GiB against the {GPU_MEMORY_SHARE:.0%} of it that a run may plan for",
    largest / GiB,
    "<=",
    gpu_budget / GiB,
)
page.finish()
