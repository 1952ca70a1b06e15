"""The one table of run sizes: every notebook takes its sizes from here, by profile.

Profiles:
    quick   CI on a 2-core CPU: the whole book in minutes; shows every claim at small size.
    laptop  a few times larger; a laptop CPU in well under an hour per chapter.
    paper   the papers' own sizes; meant for a GPU (hours).

A notebook asks for its sizes with ``sizes("00_attention", profile)`` and receives a
read-only namespace. Unknown profiles and notebooks raise a ``ValueError`` that names
the parameter and lists the allowed values.
"""

from __future__ import annotations

import os
from types import MappingProxyType, SimpleNamespace
from typing import Any

from attnlab._checks import check_choice

PROFILES: tuple[str, ...] = ("quick", "laptop", "paper")

DESCRIPTIONS = MappingProxyType(
    {
        "quick": "CI size: 2-core CPU, minutes for the whole book",
        "laptop": "laptop CPU: larger sweeps, more seeds, tens of minutes per chapter",
        "paper": "the papers' sizes: a GPU, hours",
    }
)

# notebook -> profile -> sizes. Keep every size a notebook uses here, never as a literal
# in the notebook, so that one glance shows what each profile runs.
SIZES: dict[str, dict[str, dict[str, Any]]] = {
    # -- the attention layer -------------------------------------------------------------
    "00_attention": {
        "quick": dict(
            d=16,
            ranks=(1, 2, 4, 8, 16),
            heads=3,
            n_queries=24,
            n_keys=32,
            batch=64,
            betas=(0.25, 1, 4, 16, 64, 256),
            N=16,
        ),
        "laptop": dict(
            d=64,
            ranks=(1, 2, 4, 8, 16, 32, 64),
            heads=4,
            n_queries=96,
            n_keys=128,
            batch=256,
            betas=(0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            N=64,
        ),
        "paper": dict(
            d=64,
            ranks=(1, 2, 4, 8, 16, 32, 64),
            heads=8,
            n_queries=128,
            n_keys=256,
            batch=1024,
            betas=(0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
            N=256,
        ),
    },
    # -- rank versus heads (chapter 1x) -------------------------------------------------
    "10_full_rank_construction": {
        "quick": dict(
            d=16,
            Ns=(2, 16, 256),
            betas=(1, 3, 10, 30, 100, 300, 1e3, 3e3, 1e4, 3e4, 1e5),
            samples=4000,
            estimate_samples=6000,
        ),
        "laptop": dict(
            d=32,
            Ns=(2, 16, 256),
            betas=(1, 3, 10, 30, 100, 300, 1e3, 3e3, 1e4, 3e4, 1e5),
            samples=8000,
            estimate_samples=20_000,
        ),
        "paper": dict(
            d=64,
            Ns=(2, 16, 256),
            betas=(1, 3, 10, 30, 100, 300, 1e3, 3e3, 1e4, 3e4, 1e5),
            samples=20000,
            estimate_samples=100_000,
        ),
    },
    "11_random_features": {
        "quick": dict(
            dims=(8, 16, 32, 64),
            heads=(1, 4, 16, 64, 256, 1024),
            mc_heads=16,
            mc_samples=100_000,
            energy_samples=200_000,
        ),
        "laptop": dict(
            dims=(8, 16, 32, 64),
            heads=(1, 4, 16, 64, 256, 1024, 4096),
            mc_heads=64,
            mc_samples=400_000,
            energy_samples=1_000_000,
        ),
        "paper": dict(
            dims=(8, 16, 32, 64),
            heads=(1, 4, 16, 64, 256, 1024, 4096, 16384),
            mc_heads=64,
            mc_samples=1_000_000,
            energy_samples=1_000_000,
        ),
    },
    "12_training_rank_heads": {
        # fig1 groups: (layers, c, ranks); figN: batch = points // N (None: the profile's batch).
        # fig1 protocols: "fresh" (fresh data every step) and/or "replay" (the authors' protocol:
        # one fixed training set replayed every epoch, per-epoch schedule, one initialisation);
        # all models of a group, both protocols, train together (in as many passes as memory needs).
        # eval_batches: held-out batches (of `batch` instances) for every model's final error.
        "quick": dict(
            d=16,
            ff=256,
            lr=0.01,
            steps=1500,
            steps_per_epoch=100,
            batch=128,
            seeds=1,
            threads=2,  # both CI cores (CI runs one notebook at a time)
            fig1=dict(N=16, groups=((1, 1, (16, 4, 1)), (1, 4, (8,))), protocols=("fresh", "replay")),
            figN=dict(layers=1, c=1, lr=0.01, steps=1500, Ns=(4, 16, 64), ranks=(16, 4), points=2048),
            fig3=dict(
                N=16,
                c=1,
                layers=(2,),
                positional=("none", "concatenated"),
                ranks=(4,),
                pos_dim=16,
                steps=1000,
            ),
            baseline_samples=100_000,
            eval_batches=16,
        ),
        "laptop": dict(
            d=32,
            ff=512,
            lr=0.01,
            steps=3000,
            steps_per_epoch=100,
            batch=256,
            seeds=2,
            threads=None,
            fig1=dict(
                N=16,
                groups=((1, 1, (32, 16, 8, 4, 2, 1)), (1, 4, (16, 4)), (3, 1, (32, 8, 2))),
                protocols=("fresh", "replay"),
            ),
            figN=dict(layers=1, c=1, lr=0.01, steps=3000, Ns=(4, 16, 64), ranks=(32, 8, 2), points=4096),
            fig3=dict(
                N=16,
                c=1,
                layers=(1, 3),
                positional=("none", "additive", "concatenated"),
                ranks=(8,),
                pos_dim=32,
            ),
            baseline_samples=200_000,
            eval_batches=32,
        ),
        "paper": dict(
            d=64,
            ff=2048,
            lr=0.01,
            steps=100_000,
            steps_per_epoch=100,
            batch=256,
            seeds=5,
            threads=None,
            fig1=dict(
                N=16,
                groups=tuple((L, c, (64, 32, 16, 8, 4, 2, 1)) for L in (1, 3, 5) for c in (1, 8, 64)),
                protocols=("fresh", "replay"),
            ),
            figN=dict(
                layers=2,
                c=64,
                lr=0.005,
                steps=200_000,
                Ns=(4, 16, 64, 256),
                ranks=(64, 32, 16, 8, 1),
                points=None,
            ),
            # the authors' posn configs: lr 0.005, 2000 epochs of 100 steps; with 64 concatenated
            # coordinates the model is 128 wide, so their sweep also has the widened full-rank
            # model (r = 128, one head). They ran c in {1, 8}; we run c = 8, the figure's.
            fig3=dict(
                N=16,
                c=8,
                layers=(1, 3),
                positional=("none", "additive", "concatenated"),
                ranks=(64, 32, 16, 8, 4, 2, 1),
                pos_dim=64,
                lr=0.005,
                steps=200_000,
                widened_full_rank=True,
            ),
            baseline_samples=1_000_000,
            eval_batches=64,
        ),
    },
    "13_depth": {
        "quick": dict(
            d=16,
            heads=(1, 11, 101, 1001, 4001),
            samples=1500,
            repeats=10,  # the samples per H split into repeats, each with fresh heads
            Ns=(2, 3, 4, 8, 16),
            plural_heads=2001,
            vote_samples=200_000,  # section 1: simulated votes, binned by cos theta
        ),
        "laptop": dict(
            d=16,
            heads=(1, 11, 101, 1001, 10001),
            samples=8000,
            repeats=20,
            Ns=(2, 3, 4, 8, 16, 32),
            plural_heads=10001,
            vote_samples=200_000,
        ),
        "paper": dict(
            d=64,
            heads=(1, 11, 101, 1001, 10001, 100001),
            samples=20000,
            repeats=20,
            Ns=(2, 3, 4, 8, 16, 32),
            plural_heads=100001,
            vote_samples=200_000,
        ),
    },
    "14_biased_nearest_neighbor": {
        "quick": dict(dims=(4, 6), heads=(4, 16, 64, 256), train=20_000, test=20_000, bias_scale=0.5),
        "laptop": dict(
            dims=(4, 6, 8), heads=(4, 16, 64, 256, 1024), train=100_000, test=50_000, bias_scale=0.5
        ),
        "paper": dict(
            dims=(4, 6, 8, 10),
            heads=(4, 16, 64, 256, 1024, 4096),
            train=400_000,
            test=100_000,
            bias_scale=0.5,
        ),
    },
    # depth against low rank as the context grows: one batched run per (L, N) holding every
    # rank x replicate; the same steps and points per step (batch = points // N) at every depth
    # (lr: per depth).
    "15_depth_long_context": {
        "quick": dict(
            d=16,
            ff=128,
            ranks=(16, 4, 1),
            layers=(1, 2, 3),
            Ns=(4, 16, 32),
            points=1024,
            steps=800,
            steps_per_epoch=100,
            lr={1: 0.01, 2: 0.003, 3: 0.003},  # per depth: 0.01 diverged at L = 2 (N = 8) when sized
            replicates=1,  # CI time; 512 points per step instead left full rank at N = 32 undertrained
            eval_batches=8,
            baseline_samples=100_000,
            threads=2,  # CI runs one notebook at a time: both cores
        ),
        "laptop": dict(
            d=32,
            ff=256,
            ranks=(32, 8, 1),
            layers=(1, 2, 3),
            Ns=(4, 8, 16, 32, 64),
            points=2048,
            steps=3000,
            steps_per_epoch=100,
            lr={1: 0.01, 2: 0.003, 3: 0.003},
            replicates=3,
            eval_batches=16,
            baseline_samples=200_000,
            threads=None,
        ),
        "paper": dict(
            d=64,
            ff=2048,
            ranks=(64, 16, 1),
            layers=(1, 2, 3),
            Ns=(4, 8, 16, 32, 64, 128, 256),
            points=4096,
            steps=100_000,
            steps_per_epoch=100,
            lr={1: 0.01, 2: 0.003, 3: 0.003},
            replicates=5,
            eval_batches=64,
            baseline_samples=1_000_000,
            threads=None,
        ),
    },
    # -- composition (chapter 2x) ---------------------------------------------------------
    "20_composition_tasks": {
        "quick": dict(
            n_example=4,
            enum_ns=(2, 3),
            random_ns=(8, 64),
            batch=10_000,
            m=7,
            match3_len=5,
            sum2_len=4,
            plateau_ns=(2, 3, 4, 5, 6, 7, 8),
            plateau_enum_max=1_000_000,
        ),
        "laptop": dict(
            n_example=4,
            enum_ns=(2, 3, 4),
            random_ns=(8, 64, 256),
            batch=100_000,
            m=8,
            match3_len=6,
            sum2_len=5,
            plateau_ns=(2, 3, 4, 5, 6, 7, 8, 10, 12, 16),
            plateau_enum_max=1_000_000,
        ),
        "paper": dict(
            n_example=4,
            enum_ns=(2, 3, 4),
            random_ns=(8, 64, 256, 1024),
            batch=1_000_000,
            m=9,
            match3_len=6,
            sum2_len=6,
            plateau_ns=(2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32),
            plateau_enum_max=2_000_000,
        ),
    },
    "21_split_vc": {
        "quick": dict(
            ind_ns=(2, 3, 4, 5),
            pal_ns=(4, 5, 6, 7),
            comp_ns=(2,),
            sum2_cases=((3, 5), (4, 5), (3, 6), (4, 6)),
            naive_max_words=1024,
        ),
        "laptop": dict(
            ind_ns=(2, 3, 4, 5, 6),
            pal_ns=(4, 5, 6, 7, 8, 9),
            comp_ns=(2, 3),
            sum2_cases=((3, 5), (4, 5), (5, 5), (3, 6), (4, 6), (4, 8)),
            naive_max_words=1024,
        ),
        "paper": dict(
            ind_ns=(2, 3, 4, 5, 6, 7),
            pal_ns=(4, 5, 6, 7, 8, 9, 10),
            comp_ns=(2, 3),
            sum2_cases=((3, 5), (4, 5), (5, 5), (3, 6), (4, 6), (4, 8), (5, 8)),
            naive_max_words=640,
        ),
    },
    "22_vc_bound": {
        "quick": dict(
            log10_n_max=12,
            points=60,
            precisions=(8, 16, 32, 64),
            fixed_d=(4, 16, 64),
            fixed_H=1,
            readout_configs=((1, 1, 0), (1, 1, 1), (2, 1, 3), (3, 2, 4), (4, 3, 8)),  # (d, H, ReLU units)
            readout_length=7,
            readout_inputs=8,
            readout_construction_ns=(2, 3, 4),
        ),
        "laptop": dict(
            log10_n_max=15,
            points=120,
            precisions=(8, 16, 32, 64),
            fixed_d=(4, 16, 64, 256),
            fixed_H=1,
            readout_configs=((1, 1, 0), (1, 1, 1), (2, 1, 3), (3, 2, 4), (4, 3, 8), (8, 4, 16), (16, 2, 32)),
            readout_length=9,
            readout_inputs=32,
            readout_construction_ns=(2, 3, 4, 5, 6),
        ),
        "paper": dict(
            log10_n_max=18,
            points=200,
            precisions=(8, 16, 32, 64),
            fixed_d=(4, 16, 64, 256),
            fixed_H=1,
            readout_configs=((1, 1, 0), (1, 1, 1), (2, 1, 3), (3, 2, 4), (4, 3, 8), (8, 4, 16), (16, 2, 32)),
            readout_length=9,
            readout_inputs=128,
            readout_construction_ns=(2, 3, 4, 5, 6, 7, 8),
        ),
    },
    "23_identity_and_constructions": {
        "quick": dict(
            models=8,
            d=8,
            heads=3,
            mlp_width=16,
            vocab=4,
            length=9,
            inputs=256,
            splits=16,
            exhaustive_ns=(2, 3, 4),
            random_ns=(8, 16, 32, 64),
            random_inputs=10_000,
        ),
        "laptop": dict(
            models=32,
            d=16,
            heads=4,
            mlp_width=64,
            vocab=5,
            length=12,
            inputs=1024,
            splits=64,
            exhaustive_ns=(2, 3, 4),
            random_ns=(8, 16, 32, 64, 128),
            random_inputs=10_000,
        ),
        "paper": dict(
            models=64,
            d=32,
            heads=8,
            mlp_width=128,
            vocab=8,
            length=16,
            inputs=4096,
            splits=128,
            exhaustive_ns=(2, 3, 4),
            random_ns=(8, 16, 32, 64, 128, 256),
            random_inputs=100_000,
        ),
    },
    # training: one layer vs two at fixed size as n grows, and the one-layer MLP-width frontier.
    # "paper" follows the Strassen-attention paper's composition run (d = 16, 1 head, batch 2500,
    # AdamW lr 1e-3, 8 seeds, n up to 30; their 1000 epochs of 45k examples ~ 18k steps) on a GPU.
    "24_training_composition": {
        "quick": dict(
            ns=(3, 4, 5),
            d=16,
            heads=1,
            mlp_width=32,
            steps=700,
            batch=128,
            lr=1e-2,
            seeds=3,
            eval_every=50,
            frontier_ns=(2, 3),
            widths=(1, 2, 4, 8, 16, 32),
            frontier_seeds=2,
            frontier_steps=800,
            threshold=0.95,
            threads=2,  # both CI cores: 27 s instead of 34 s
        ),
        "laptop": dict(
            ns=(3, 4, 5, 6, 8),
            d=16,
            heads=1,
            mlp_width=64,
            steps=3000,
            batch=128,
            lr=1e-2,
            seeds=4,
            eval_every=100,
            frontier_ns=(2, 3, 4, 5),
            widths=(1, 2, 4, 8, 16, 32, 64, 128),
            frontier_seeds=3,
            frontier_steps=3000,
            threshold=0.95,
            threads=None,  # torch's default
        ),
        "paper": dict(
            ns=(4, 8, 16, 25, 30),
            d=16,
            heads=1,
            mlp_width=64,
            steps=18_000,
            batch=2500,
            lr=1e-3,
            seeds=8,
            eval_every=500,
            frontier_ns=(2, 3, 4, 5, 6, 8),
            widths=(1, 2, 4, 8, 16, 32, 64, 128, 256),
            frontier_seeds=8,
            frontier_steps=18_000,
            threshold=0.95,
            threads=None,
        ),
    },
    # Strassen attention: construction checks, one layer (softmax / Strassen) against two on
    # Comp_n at page 24's plateau n, Match3 and binary-relation composition, and time per step.
    # "paper" uses the Strassen paper's optimiser settings (d = 16, 1 head, batch 2500, lr 1e-3)
    # and sizes near theirs, on a GPU; our samplers are uniform (theirs balance the labels).
    "25_strassen_attention": {
        "quick": dict(
            layer_checks=((1, 9), (5, 7), (16, 16)),
            exhaustive_ns=(2, 3, 4),
            random_ns=(8, 16, 32, 64),
            random_inputs=2000,
            comp_n=5,  # page 24's largest quick n: one softmax layer sits at its plateau there
            d=16,
            heads=1,
            mlp_width=32,
            steps=800,
            batch=128,
            lr=2e-2,
            seeds=3,
            eval_every=50,
            eval_samples=1000,
            match3=dict(N=6, m=31),
            brc=dict(m=4, density=0.4),
            token_steps=800,
            token_batch=64,
            token_lr=1e-2,
            token_eval_every=100,
            token_eval_samples=256,
            baseline_samples=50_000,
            timing=dict(
                d=16,
                batch=4,
                repeats=3,
                Ts=dict(
                    strassen=(16, 32, 64, 128, 256),
                    naive=(8, 16, 32, 64, 128),
                    softmax=(64, 128, 256, 512, 1024, 2048),
                ),
                fit_last=3,
            ),
            threads=2,  # both CI cores (CI runs one notebook at a time)
        ),
        "laptop": dict(
            layer_checks=((1, 9), (5, 7), (16, 16), (32, 48)),
            exhaustive_ns=(2, 3, 4),
            random_ns=(8, 16, 32, 64, 128),
            random_inputs=10_000,
            comp_n=8,
            d=16,
            heads=1,
            mlp_width=64,
            steps=3000,
            batch=128,
            lr=1e-2,
            seeds=4,
            eval_every=100,
            eval_samples=2000,
            match3=dict(N=8, m=53),
            brc=dict(m=5, density=0.36),
            token_steps=3000,
            token_batch=128,
            token_lr=1e-2,
            token_eval_every=100,
            token_eval_samples=1000,
            baseline_samples=200_000,
            timing=dict(
                d=32,
                batch=8,
                repeats=5,
                Ts=dict(
                    strassen=(32, 64, 128, 256, 512),
                    naive=(16, 32, 64, 128, 192),
                    softmax=(128, 256, 512, 1024, 2048, 4096),
                ),
                fit_last=3,
            ),
            threads=None,
        ),
        "paper": dict(
            layer_checks=((1, 9), (5, 7), (16, 16), (32, 48), (64, 64)),
            exhaustive_ns=(2, 3, 4),
            random_ns=(8, 16, 32, 64, 128, 256),
            random_inputs=100_000,
            comp_n=25,
            d=16,
            heads=1,
            mlp_width=64,
            steps=18_000,
            batch=2500,
            lr=1e-3,
            seeds=8,
            eval_every=500,
            eval_samples=4000,
            match3=dict(N=16, m=181),
            brc=dict(m=8, density=0.29),
            token_steps=18_000,
            token_batch=2500,
            token_lr=1e-3,
            token_eval_every=500,
            token_eval_samples=2000,
            baseline_samples=1_000_000,
            timing=dict(
                d=64,
                batch=8,
                repeats=5,
                Ts=dict(
                    strassen=(64, 128, 256, 512, 1024),
                    naive=(32, 64, 128, 256),
                    softmax=(256, 512, 1024, 2048, 4096, 8192),
                ),
                fit_last=3,
            ),
            threads=None,
        ),
    },
    # -- performance (90) -----------------------------------------------------------------
    # The page times nothing: it reads the committed benchmarks/results/*.json. Same for every
    # profile; the targets are issue 5's (and issue 3's batched-seeds target).
    "90_performance": {
        profile: dict(
            results_dir="benchmarks/results",
            benchmarks=(
                "fig1",
                "batched_seeds",
                "flops",
                "scaling",
                "sweep",
                "heads",
                "threads",
                "threads_idle",
            ),
            targets=dict(
                fig1_geomean_ratio=2.0,
                fig1_every_ratio=1.0,
                batched_throughput_K8=3.0,
                batched_cost_fraction_K8=0.5,
                flops_fraction=0.4,
                book_minutes_quick=10.0,
            ),
        )
        for profile in ("quick", "laptop", "paper")
    },
    # -- what each training page costs at each profile (92) -----------------------------------
    # The page trains nothing: it plans every training page at every profile (attnlab.runtime.work)
    # and times `timing_steps` steps of one rank-chapter model (page 12's quick sizes) for the
    # seconds per FLOP of this CPU; `min_paper_over_quick` is the claim's bound.
    "92_paper_scale": {
        profile: dict(
            timing=dict(d=16, N=16, batch=128, layers=1, c=1, ff=256),
            timing_steps=10,
            timing_warmup=3,
            min_paper_over_quick=10.0,
            gpu_gib=80,  # the memory plan's reference GPU (an A100 or H100 of 80 GiB)
        )
        for profile in ("quick", "laptop", "paper")
    },
    # -- claims ledger (95) ----------------------------------------------------------------
    # The page computes nothing: it reads every page's results for its profile.
    "95_claims": {profile: {} for profile in ("quick", "laptop", "paper")},
}


SMOKE_ENV = "ATTNLAB_SMOKE_STEPS"
"""When set to ``k``, every training length (a size named ``steps`` or ``*_steps``) is cut to at
most ``k``: a *smoke run* builds every model of a profile at full size and trains each for a few
steps, so a long run cannot die an hour in on a typo. Its claims are recorded, not checked.
Evaluation sizes shrink too (sizes named ``samples``, ``*_samples`` or ``*_inputs`` to at most
:data:`SMOKE_SAMPLES`, ``eval_batches`` to 1). Model sizes stay full; training batches (``batch``,
``*_batch``) are capped at :data:`SMOKE_BATCH`, since the papers' batches of hundreds to
thousands of sequences are sized for a GPU's memory and speed, not a CPU's: at the paper's batch
one model of page 12's longest context plans 33 GiB, and two steps of all of that page's models
at batch 64 ran for over 30 minutes on a 2-core CPU (the page's smoke banner says so)."""

SMOKE_SAMPLES = 512
SMOKE_BATCH = 16


def smoke_steps() -> int | None:
    """``$ATTNLAB_SMOKE_STEPS`` as a positive integer, or ``None`` outside a smoke run."""
    raw = os.environ.get(SMOKE_ENV)
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{SMOKE_ENV} must be a positive integer (steps per training run), got {raw!r}")
    return int(raw)


def _cut_steps(value: Any, k: int, key: str = "") -> Any:
    if isinstance(value, dict):
        return {name: _cut_steps(v, k, name) for name, v in value.items()}
    if isinstance(value, int) and (key == "steps" or key.endswith("_steps")):
        return min(value, k)
    if isinstance(value, int) and (key == "samples" or key.endswith(("_samples", "_inputs"))):
        return min(value, SMOKE_SAMPLES)  # evaluation sizes, not model sizes
    if isinstance(value, int) and (key == "batch" or key.endswith("_batch")):
        return min(value, SMOKE_BATCH)  # a GPU's batch, capped for CPU memory and time
    if isinstance(value, int) and key == "eval_batches":
        return 1
    return value


def sizes(notebook: str, profile: str) -> SimpleNamespace:
    """Sizes of ``notebook`` under ``profile`` as a namespace (``cfg.d``, ``cfg.ranks``, ...);
    training lengths cut to a few steps in a smoke run (:data:`SMOKE_ENV`)."""
    check_choice("notebook", notebook, SIZES)
    check_choice("profile", profile, PROFILES)
    table = SIZES[notebook][profile]
    k = smoke_steps()
    return SimpleNamespace(**(_cut_steps(table, k) if k else table))
