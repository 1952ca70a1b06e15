"""The one table of run sizes: every notebook takes its sizes from here, by profile.

Profiles:
    quick   CI on a 2-core CPU: the whole book in minutes; shows every claim at small size.
    laptop  a few times larger; a laptop CPU in well under an hour per chapter.
    paper   the papers' own sizes; meant for a GPU (hours).

Every page has one frozen dataclass of sizes (:class:`AttentionSizes` for ``00_attention``, ...),
with nested ones where a page has groups of sizes (page 12's ``fig1``, page 25's ``match3``), so a
page reads ``cfg.d`` or ``cfg.fig1.groups``. A page's ``quick`` sizes are written out in full, its
``laptop`` and ``paper`` sizes as :func:`dataclasses.replace` of them, so each profile shows only
what differs. Each field says whether a smoke run may cut it (:data:`SMOKE_ENV`): training lengths
are :func:`cut_steps` fields, evaluation sizes :func:`cut_samples`, training batches
:func:`cut_batch`, held-out batch counts :func:`cut_eval_batches`; other sizes are never cut.

A notebook asks for its sizes with ``sizes("00_attention", profile)`` and receives its page's
dataclass. Unknown profiles and notebooks raise a ``ValueError`` that names the parameter and lists
the allowed values. :func:`as_dict` gives the sizes as the plain table a page records in its
results and on its run card.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from types import MappingProxyType
from typing import Any

from attnlab._checks import check_choice
from attnlab.composition.paper_tasks import PAPER_SIZES, PaperTaskSizes

PROFILES: tuple[str, ...] = ("quick", "laptop", "paper")

DESCRIPTIONS = MappingProxyType(
    {
        "quick": "CI size: 2-core CPU, minutes for the whole book",
        "laptop": "laptop CPU: larger sweeps, more seeds, tens of minutes per chapter",
        "paper": "the papers' sizes: a GPU, hours",
    }
)


# -- smoke runs -----------------------------------------------------------------------------------

SMOKE_ENV = "ATTNLAB_SMOKE_STEPS"
"""When set to ``k``, every training length (a :func:`cut_steps` field) is cut to at most ``k``:
a *smoke run* builds every model of a profile at full size and trains each for a few steps, so a
long run cannot die an hour in on a typo. Its claims are recorded, not checked. Evaluation sizes
shrink too (:func:`cut_samples` fields to at most :data:`SMOKE_SAMPLES`, :func:`cut_eval_batches`
fields to 1). Model sizes stay full; training batches (:func:`cut_batch` fields) are capped at
:data:`SMOKE_BATCH`, since the papers' batches of hundreds to thousands of sequences are sized for
a GPU's memory and speed, not a CPU's."""

SMOKE_SAMPLES = 512
"""The most evaluation samples a smoke run keeps (:func:`cut_samples` fields)."""
SMOKE_BATCH = 16
"""The largest training batch a smoke run keeps (:func:`cut_batch` fields)."""

SMOKE = "smoke"
"""The field-metadata key that says how a smoke run cuts a size (one of :data:`CUTS`)."""

CUTS: tuple[str, ...] = ("steps", "samples", "batch", "eval_batches")


def _size(cut: str, default: Any) -> Any:
    check_choice("cut", cut, CUTS)
    return field(default=default, metadata={SMOKE: cut})


def cut_steps(default: Any = MISSING) -> Any:
    """A training length: a smoke run of ``k`` steps cuts it to at most ``k``."""
    return _size("steps", default)


def cut_samples(default: Any = MISSING) -> Any:
    """An evaluation size (samples, inputs): a smoke run cuts it to at most :data:`SMOKE_SAMPLES`."""
    return _size("samples", default)


def cut_batch(default: Any = MISSING) -> Any:
    """A training batch: a smoke run caps it at :data:`SMOKE_BATCH` sequences."""
    return _size("batch", default)


def cut_eval_batches(default: Any = MISSING) -> Any:
    """A number of held-out batches: a smoke run evaluates on one."""
    return _size("eval_batches", default)


def smoke_steps() -> int | None:
    """``$ATTNLAB_SMOKE_STEPS`` as a positive integer, or ``None`` outside a smoke run."""
    raw = os.environ.get(SMOKE_ENV)
    if not raw:
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{SMOKE_ENV} must be a positive integer (steps per training run), got {raw!r}")
    return int(raw)


def _cut(cut: str, value: int, k: int) -> int:
    if cut == "steps":
        return min(value, k)
    if cut == "samples":
        return min(value, SMOKE_SAMPLES)  # evaluation sizes, not model sizes
    if cut == "batch":
        return min(value, SMOKE_BATCH)  # a GPU's batch, capped for a CPU's memory and time
    return 1  # "eval_batches"


def smoke_cut(sizes: Any, k: int) -> Any:
    """``sizes`` as a smoke run of ``k`` steps runs them: every field that says how a smoke run cuts
    it (its :data:`SMOKE` metadata) cut, in nested groups too; unset (``None``) sizes stay unset."""
    changes: dict[str, Any] = {}
    for f in fields(sizes):
        value = getattr(sizes, f.name)
        if is_dataclass(value):
            changes[f.name] = smoke_cut(value, k)
        elif SMOKE in f.metadata and isinstance(value, int):
            changes[f.name] = _cut(f.metadata[SMOKE], value, k)
    return replace(sizes, **changes)


def smoke_cuts(sizes: Any) -> dict[str, str]:
    """How a smoke run cuts each size of ``sizes`` that it cuts: ``{"steps": "steps", "fig1.N": ...}``
    by field path (nested groups joined with a dot)."""
    out: dict[str, str] = {}
    for f in fields(sizes):
        value = getattr(sizes, f.name)
        if is_dataclass(value):
            out.update({f"{f.name}.{path}": cut for path, cut in smoke_cuts(value).items()})
        elif SMOKE in f.metadata:
            out[f.name] = f.metadata[SMOKE]
    return out


# -- the pages' sizes -----------------------------------------------------------------------------
# Keep every size a notebook uses here, never as a literal in the notebook, so that one glance
# shows what each profile runs. A field with a default is one a profile may leave unset: it is left
# out of the page's recorded sizes (:func:`as_dict`) while it holds that default.

_SIZES: dict[str, Mapping[str, Any]] = {}


def _profiles(quick: Any, *, laptop: Any, paper: Any) -> Mapping[str, Any]:
    return MappingProxyType({"quick": quick, "laptop": laptop, "paper": paper})


def _every_profile(same: Any) -> Mapping[str, Any]:
    return _profiles(same, laptop=same, paper=same)


# -- the attention layer --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AttentionSizes:
    """Page 00: one attention layer's shapes, the ranks and temperatures it is shown at."""

    d: int
    ranks: tuple[int, ...]
    heads: int
    n_queries: int
    n_keys: int
    batch: int = cut_batch()
    betas: tuple[float, ...]
    N: int


_attention = AttentionSizes(
    d=16,
    ranks=(1, 2, 4, 8, 16),
    heads=3,
    n_queries=24,
    n_keys=32,
    batch=64,
    betas=(0.25, 1, 4, 16, 64, 256),
    N=16,
)
_SIZES["00_attention"] = _profiles(
    _attention,
    laptop=replace(
        _attention,
        d=64,
        ranks=(1, 2, 4, 8, 16, 32, 64),
        heads=4,
        n_queries=96,
        n_keys=128,
        batch=256,
        betas=(0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
        N=64,
    ),
    paper=replace(
        _attention,
        d=64,
        ranks=(1, 2, 4, 8, 16, 32, 64),
        heads=8,
        n_queries=128,
        n_keys=256,
        batch=1024,
        betas=(0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
        N=256,
    ),
)


# -- rank versus heads (chapter 1x) ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FullRankSizes:
    """Page 10: the full-rank construction's error against ``beta``, by ``N``."""

    d: int
    Ns: tuple[int, ...]
    betas: tuple[float, ...]
    samples: int = cut_samples()
    estimate_samples: int = cut_samples()


_full_rank = FullRankSizes(
    d=16,
    Ns=(2, 16, 256),
    betas=(1, 3, 10, 30, 100, 300, 1e3, 3e3, 1e4, 3e4, 1e5),
    samples=4000,
    estimate_samples=6000,
)
_SIZES["10_full_rank_construction"] = _profiles(
    _full_rank,
    laptop=replace(_full_rank, d=32, samples=8000, estimate_samples=20_000),
    paper=replace(_full_rank, d=64, samples=20000, estimate_samples=100_000),
)


@dataclass(frozen=True, kw_only=True)
class RandomFeaturesSizes:
    """Page 11: random rank-1 heads, by dimension and number of heads."""

    dims: tuple[int, ...]
    heads: tuple[int, ...]
    mc_heads: int
    mc_samples: int = cut_samples()
    energy_samples: int = cut_samples()


_random_features = RandomFeaturesSizes(
    dims=(8, 16, 32, 64),
    heads=(1, 4, 16, 64, 256, 1024),
    mc_heads=16,
    mc_samples=100_000,
    energy_samples=200_000,
)
_SIZES["11_random_features"] = _profiles(
    _random_features,
    laptop=replace(
        _random_features,
        heads=(1, 4, 16, 64, 256, 1024, 4096),
        mc_heads=64,
        mc_samples=400_000,
        energy_samples=1_000_000,
    ),
    paper=replace(
        _random_features,
        heads=(1, 4, 16, 64, 256, 1024, 4096, 16384),
        mc_heads=64,
        mc_samples=1_000_000,
        energy_samples=1_000_000,
    ),
)


@dataclass(frozen=True, kw_only=True)
class Fig1Sizes:
    """Page 12's fig1: every ``(layers, c, ranks)`` group at ``N`` points, under each protocol.

    ``"fresh"``: fresh data every step; ``"replay"``: the authors' protocol, one fixed training set
    replayed every epoch, per-epoch schedule, one initialisation. All models of a group, both
    protocols, train together (in as many passes as memory needs).

    ``more_heads``: further width multipliers ``c``, one layer, at ``more_heads_ranks``, fresh
    data only: with the groups' ``c``, each of those ranks at several head counts (the head
    sweep at fixed rank).
    """

    N: int
    groups: tuple[tuple[int, int, tuple[int, ...]], ...]
    protocols: tuple[str, ...]
    more_heads: tuple[int, ...] = ()
    more_heads_ranks: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if bool(self.more_heads) != bool(self.more_heads_ranks):
            raise ValueError(
                "more_heads and more_heads_ranks go together; got "
                f"{self.more_heads!r} and {self.more_heads_ranks!r}"
            )


@dataclass(frozen=True, kw_only=True)
class FigNSizes:
    """Page 12's figN: the error against ``N``; ``batch = points // N`` (``points`` None: the
    page's ``batch``)."""

    layers: int
    c: int
    lr: float
    steps: int = cut_steps()
    Ns: tuple[int, ...]
    ranks: tuple[int, ...]
    points: int | None


@dataclass(frozen=True, kw_only=True)
class Fig3Sizes:
    """Page 12's fig3: positional encodings, by depth; ``lr`` and ``steps`` None: the page's.
    ``widened_full_rank``: with concatenated coordinates also the widened model's full rank
    ``d + pos_dim`` (one head), as in the authors' sweep."""

    N: int
    c: int
    layers: tuple[int, ...]
    positional: tuple[str, ...]
    ranks: tuple[int, ...]
    pos_dim: int
    lr: float | None = None
    steps: int | None = cut_steps(None)
    widened_full_rank: bool = False


@dataclass(frozen=True, kw_only=True)
class RankHeadsSizes:
    """Page 12: training rank against heads (fig1, figN, fig3); ``eval_batches`` held-out batches
    (of ``batch`` instances) give every model's final error."""

    d: int
    ff: int
    lr: float
    steps: int = cut_steps()
    steps_per_epoch: int
    batch: int = cut_batch()
    seeds: int
    threads: int | None
    fig1: Fig1Sizes
    figN: FigNSizes
    fig3: Fig3Sizes
    baseline_samples: int = cut_samples()
    eval_batches: int = cut_eval_batches()


_rank_heads = RankHeadsSizes(
    d=16,
    ff=256,
    lr=0.01,
    steps=1500,
    steps_per_epoch=100,
    batch=64,
    seeds=1,
    threads=2,  # both cores of the 2-core CPU the quick profile is sized for
    fig1=Fig1Sizes(
        N=16,
        groups=((1, 1, (16, 4, 1)),),
        protocols=("fresh", "replay"),
        more_heads=(4, 16),
        more_heads_ranks=(4, 1),
    ),
    figN=FigNSizes(layers=1, c=1, lr=0.01, steps=1500, Ns=(4, 16, 64), ranks=(16, 4), points=1024),
    fig3=Fig3Sizes(
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
)
_SIZES["12_training_rank_heads"] = _profiles(
    _rank_heads,
    laptop=replace(
        _rank_heads,
        d=32,
        ff=512,
        steps=3000,
        batch=256,
        seeds=2,
        threads=None,
        fig1=replace(
            _rank_heads.fig1,
            groups=((1, 1, (32, 16, 8, 4, 2, 1)), (1, 4, (16, 4)), (3, 1, (32, 8, 2))),
            more_heads=(16,),
            more_heads_ranks=(4, 1),
        ),
        figN=replace(_rank_heads.figN, steps=3000, ranks=(32, 8, 2), points=4096),
        fig3=replace(
            _rank_heads.fig3,
            layers=(1, 3),
            positional=("none", "additive", "concatenated"),
            ranks=(8,),
            pos_dim=32,
            steps=None,
        ),
        baseline_samples=200_000,
        eval_batches=32,
    ),
    paper=replace(
        _rank_heads,
        d=64,
        ff=2048,
        steps=100_000,
        batch=256,
        seeds=5,
        threads=None,
        fig1=replace(
            _rank_heads.fig1,
            groups=tuple((L, c, (64, 32, 16, 8, 4, 2, 1)) for L in (1, 3, 5) for c in (1, 8, 64)),
            more_heads=(),  # the groups' c = 1, 8, 64 are the paper's head sweep
            more_heads_ranks=(),
        ),
        figN=replace(
            _rank_heads.figN,
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
        fig3=replace(
            _rank_heads.fig3,
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
)


@dataclass(frozen=True, kw_only=True)
class DepthSizes:
    """Page 13: what two layers of random heads gain over one, by heads and ``N``."""

    d: int
    heads: tuple[int, ...]
    samples: int = cut_samples()
    repeats: int  # the samples per H split into repeats, each with fresh heads
    Ns: tuple[int, ...]
    plural_heads: int
    vote_samples: int = cut_samples()  # section 1: simulated votes, binned by cos theta


_depth = DepthSizes(
    d=16,
    heads=(1, 11, 101, 1001, 4001),
    samples=1500,
    repeats=10,
    Ns=(2, 3, 4, 8, 16),
    plural_heads=2001,
    vote_samples=200_000,
)
_SIZES["13_depth"] = _profiles(
    _depth,
    laptop=replace(
        _depth,
        heads=(1, 11, 101, 1001, 10001),
        samples=8000,
        repeats=20,
        Ns=(2, 3, 4, 8, 16, 32),
        plural_heads=10001,
    ),
    paper=replace(
        _depth,
        d=64,
        heads=(1, 11, 101, 1001, 10001, 100001),
        samples=20000,
        repeats=20,
        Ns=(2, 3, 4, 8, 16, 32),
        plural_heads=100001,
    ),
)


@dataclass(frozen=True, kw_only=True)
class BiasedNearestNeighborSizes:
    """Page 14: biased rank-1 heads against random features, by dimension and heads."""

    dims: tuple[int, ...]
    heads: tuple[int, ...]
    train: int
    test: int
    bias_scale: float


_biased_nn = BiasedNearestNeighborSizes(
    dims=(4, 6), heads=(4, 16, 64, 256), train=20_000, test=20_000, bias_scale=0.5
)
_SIZES["14_biased_nearest_neighbor"] = _profiles(
    _biased_nn,
    laptop=replace(_biased_nn, dims=(4, 6, 8), heads=(4, 16, 64, 256, 1024), train=100_000, test=50_000),
    paper=replace(
        _biased_nn,
        dims=(4, 6, 8, 10),
        heads=(4, 16, 64, 256, 1024, 4096),
        train=400_000,
        test=100_000,
    ),
)


@dataclass(frozen=True, kw_only=True)
class LongContextSizes:
    """Page 15: depth against low rank as the context grows.

    Every model has ``pos_dim`` concatenated positional coordinates (width ``D = d + pos_dim``)
    and ``c`` attention modules per layer; ranks are full (``D``) and ``low_rank``. A
    learning-rate sweep over ``lr_grid`` at every context picks each depth's, context's and rank's
    rate on a seed of its own; then one batched run per ``(L, N)`` holds every rank x replicate, all
    with the same steps and points per step (``batch = max(min_batch, points // N)``). ``anchor_Ns``: the
    contexts where depth must first be seen to help (the precondition). ``control_Ns``,
    ``control_steps``: the budget control, the deeper depths trained again at those long
    contexts for ``control_steps`` steps (rates swept again). ``claim_preconditions``:
    whether the profile's budget is sized to reproduce depth helping; only then does the page
    claim the preconditions and the long-context observations (a claim made only where it
    holds, or whose direction follows the outcome, could not fail).
    """

    d: int
    pos_dim: int
    c: int
    ff: int
    low_rank: int
    layers: tuple[int, ...]
    anchor_Ns: tuple[int, ...]
    Ns: tuple[int, ...]
    points: int
    min_batch: int
    steps: int = cut_steps()
    steps_per_epoch: int
    lr_grid: tuple[float, ...]
    replicates: int
    control_Ns: tuple[int, ...]
    control_steps: int = cut_steps()
    eval_batches: int = cut_eval_batches()
    baseline_samples: int = cut_samples()
    threads: int | None
    claim_preconditions: bool


_long_context = LongContextSizes(
    d=8,
    pos_dim=8,
    c=2,
    ff=64,
    low_rank=1,
    layers=(1, 2),
    anchor_Ns=(3, 16),
    Ns=(3, 16, 64),
    points=256,
    min_batch=4,  # one sequence of N = 256 per step did not train even full rank (pilot)
    steps=400,
    steps_per_epoch=100,
    lr_grid=(0.005, 0.01, 0.02),
    replicates=3,
    control_Ns=(64,),
    control_steps=800,
    eval_batches=8,
    baseline_samples=100_000,
    threads=2,  # both cores of the 2-core CPU the quick profile is sized for
    claim_preconditions=False,  # too small for depth to help: shown, not claimed
)
_SIZES["15_depth_long_context"] = _profiles(
    _long_context,
    laptop=replace(
        _long_context,
        # quick's widths; rank 2 of the d = 8 input coordinates, two layers (the depth theorem's):
        # in a pilot (9 replicates, 4000 steps) two layers beat one at N = 3 by 1.8-4.5x (median
        # of each seed triple)
        low_rank=2,
        layers=(1, 2),
        anchor_Ns=(3,),
        # no N = 64: its time goes to the budget control at N = 16, where depth's help is
        # already gone (seeds 0-1: two rank-2 layers 0.93-0.94 of one), and the run stays
        # within an hour on a 2-core CPU with two runs at once (ATTNLAB_RAY_ADDRESS=local,
        # ATTNLAB_THREADS=1); on both threads in one process small runs wait on each other
        Ns=(3, 16, 256),
        steps=4000,
        # up to 0.16: one full-rank layer does best far above the rates two layers tolerate
        # (pilot, 4000 steps, 3 seeds, N = 16: 0.021-0.023 at 0.04, 0.015-0.017 at 0.08,
        # 0.006-0.008 at 0.16, diverged at 0.32; two layers best at 0.01, 0.019-0.021, and
        # diverged on two of three seeds at 0.08). A grid capped at 0.04 left the one-layer
        # reference of the full-rank precondition undertrained
        lr_grid=(0.005, 0.01, 0.02, 0.04, 0.08, 0.16),
        # two full-rank layers at one layer's budget trail it 2.2-2.6x at N = 16 (seeds 0-1),
        # and the gap grows with the budget (pilot, N = 16, 3 seeds: one layer 0.006-0.008 at
        # 4000 steps, 0.003-0.004 at 8000; two layers 0.019-0.021 and 0.012-0.013); two layers
        # reached one layer's 4000-step error at 16 000 steps (0.004-0.007 at rate 0.04)
        control_Ns=(16,),
        control_steps=16_000,
        # with 3 replicates depth's help at N = 3 was 1.68 and 1.52 on seeds 0 and 1 (bar 1.5):
        # a deep low-rank seed either finds depth's solution or stays near one
        # layer (pilot, 9 seeds at N = 3: 0.036-0.065 or 0.108-0.148), so a median of 3 swings
        replicates=5,
        eval_batches=16,
        baseline_samples=200_000,
        threads=None,
        claim_preconditions=True,
    ),
    paper=replace(
        _long_context,
        d=64,
        pos_dim=64,
        claim_preconditions=True,
        c=8,  # the authors' fig3 (concatenated positions); their figN used c = 64
        ff=2048,
        layers=(1, 2, 3),
        Ns=(3, 4, 16, 64, 256),
        points=4096,
        steps=100_000,
        control_Ns=(64, 256),
        control_steps=400_000,
        lr_grid=(0.001, 0.002, 0.005, 0.01),
        replicates=5,
        eval_batches=64,
        baseline_samples=1_000_000,
        threads=None,
    ),
)


# -- composition (chapter 2x) ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CompositionTasksSizes:
    """Page 20: the composition tasks, checked against their definitions."""

    n_example: int
    enum_ns: tuple[int, ...]
    random_ns: tuple[int, ...]
    batch: int = cut_batch()
    m: int
    match3_len: int
    sum2_len: int
    plateau_ns: tuple[int, ...]
    plateau_enum_max: int


_tasks = CompositionTasksSizes(
    n_example=4,
    enum_ns=(2, 3),
    random_ns=(8, 64),
    batch=10_000,
    m=7,
    match3_len=5,
    sum2_len=4,
    plateau_ns=(2, 3, 4, 5, 6, 7, 8),
    plateau_enum_max=1_000_000,
)
_SIZES["20_composition_tasks"] = _profiles(
    _tasks,
    laptop=replace(
        _tasks,
        enum_ns=(2, 3, 4),
        random_ns=(8, 64, 256),
        batch=100_000,
        m=8,
        match3_len=6,
        sum2_len=5,
        plateau_ns=(2, 3, 4, 5, 6, 7, 8, 10, 12, 16),
    ),
    paper=replace(
        _tasks,
        enum_ns=(2, 3, 4),
        random_ns=(8, 64, 256, 1024),
        batch=1_000_000,
        m=9,
        match3_len=6,
        sum2_len=6,
        plateau_ns=(2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32),
        plateau_enum_max=2_000_000,
    ),
)


@dataclass(frozen=True, kw_only=True)
class SplitVCSizes:
    """Page 21: the split-VC dimension of each task, by ``n``."""

    ind_ns: tuple[int, ...]
    pal_ns: tuple[int, ...]
    comp_ns: tuple[int, ...]
    sum2_cases: tuple[tuple[int, int], ...]
    naive_max_words: int


_split_vc = SplitVCSizes(
    ind_ns=(2, 3, 4, 5),
    pal_ns=(4, 5, 6, 7),
    comp_ns=(2,),
    sum2_cases=((3, 5), (4, 5), (3, 6), (4, 6)),
    naive_max_words=1024,
)
_SIZES["21_split_vc"] = _profiles(
    _split_vc,
    laptop=replace(
        _split_vc,
        ind_ns=(2, 3, 4, 5, 6),
        pal_ns=(4, 5, 6, 7, 8, 9),
        comp_ns=(2, 3),
        sum2_cases=((3, 5), (4, 5), (5, 5), (3, 6), (4, 6), (4, 8)),
    ),
    paper=replace(
        _split_vc,
        ind_ns=(2, 3, 4, 5, 6, 7),
        pal_ns=(4, 5, 6, 7, 8, 9, 10),
        comp_ns=(2, 3),
        sum2_cases=((3, 5), (4, 5), (5, 5), (3, 6), (4, 6), (4, 8), (5, 8)),
        naive_max_words=640,
    ),
)


@dataclass(frozen=True, kw_only=True)
class VCBoundSizes:
    """Page 22: the VC bound against the constructions' sizes; ``readout_configs`` are
    ``(d, H, ReLU units)``."""

    log10_n_max: int
    points: int
    precisions: tuple[int, ...]
    fixed_d: tuple[int, ...]
    fixed_H: int
    readout_configs: tuple[tuple[int, int, int], ...]
    readout_length: int
    readout_inputs: int = cut_samples()
    readout_construction_ns: tuple[int, ...]


_vc_bound = VCBoundSizes(
    log10_n_max=12,
    points=60,
    precisions=(8, 16, 32, 64),
    fixed_d=(4, 16, 64),
    fixed_H=1,
    readout_configs=((1, 1, 0), (1, 1, 1), (2, 1, 3), (3, 2, 4), (4, 3, 8)),
    readout_length=7,
    readout_inputs=8,
    readout_construction_ns=(2, 3, 4),
)
_SIZES["22_vc_bound"] = _profiles(
    _vc_bound,
    laptop=replace(
        _vc_bound,
        log10_n_max=15,
        points=120,
        fixed_d=(4, 16, 64, 256),
        readout_configs=((1, 1, 0), (1, 1, 1), (2, 1, 3), (3, 2, 4), (4, 3, 8), (8, 4, 16), (16, 2, 32)),
        readout_length=9,
        readout_inputs=32,
        readout_construction_ns=(2, 3, 4, 5, 6),
    ),
    paper=replace(
        _vc_bound,
        log10_n_max=18,
        points=200,
        fixed_d=(4, 16, 64, 256),
        readout_configs=((1, 1, 0), (1, 1, 1), (2, 1, 3), (3, 2, 4), (4, 3, 8), (8, 4, 16), (16, 2, 32)),
        readout_length=9,
        readout_inputs=128,
        readout_construction_ns=(2, 3, 4, 5, 6, 7, 8),
    ),
)


@dataclass(frozen=True, kw_only=True)
class IdentityConstructionsSizes:
    """Page 23: the identity and the constructions, checked exhaustively and at random."""

    models: int
    d: int
    heads: int
    mlp_width: int
    vocab: int
    length: int
    inputs: int
    splits: int
    exhaustive_ns: tuple[int, ...]
    random_ns: tuple[int, ...]
    random_inputs: int = cut_samples()


_identity = IdentityConstructionsSizes(
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
)
_SIZES["23_identity_and_constructions"] = _profiles(
    _identity,
    laptop=replace(
        _identity,
        models=32,
        d=16,
        heads=4,
        mlp_width=64,
        vocab=5,
        length=12,
        inputs=1024,
        splits=64,
        random_ns=(8, 16, 32, 64, 128),
    ),
    paper=replace(
        _identity,
        models=64,
        d=32,
        heads=8,
        mlp_width=128,
        vocab=8,
        length=16,
        inputs=4096,
        splits=128,
        random_ns=(8, 16, 32, 64, 128, 256),
        random_inputs=100_000,
    ),
)


@dataclass(frozen=True, kw_only=True)
class CompositionTrainingSizes:
    """Page 24: one layer against two on Comp_n at fixed size as ``n`` grows, and the one-layer
    MLP-width frontier on Ind_n (``frontier_ns``, single output). ``paper`` follows the
    Strassen-attention paper's composition run (d = 16, 1 head, batch 2500, AdamW lr 1e-3, 8 seeds,
    n up to 30; their 1000 epochs of 45k examples ~ 18k steps) on a GPU."""

    ns: tuple[int, ...]
    d: int
    heads: int
    mlp_width: int
    steps: int = cut_steps()
    batch: int = cut_batch()
    lr: float
    seeds: int
    eval_every: int
    frontier_ns: tuple[int, ...]
    widths: tuple[int, ...]
    frontier_seeds: int
    frontier_steps: int = cut_steps()
    threshold: float
    threads: int | None  # None: torch's default


_comp_training = CompositionTrainingSizes(
    ns=(3, 4, 5),
    d=16,
    heads=1,
    mlp_width=32,
    steps=700,
    batch=128,
    lr=1e-2,
    seeds=3,
    eval_every=50,
    frontier_ns=(2, 3, 4, 6),
    widths=(1, 2, 4, 8, 16, 32),
    frontier_seeds=2,
    frontier_steps=800,
    threshold=0.95,
    threads=2,  # both cores of the 2-core CPU the quick profile is sized for
)
_SIZES["24_training_composition"] = _profiles(
    _comp_training,
    laptop=replace(
        _comp_training,
        ns=(3, 4, 5, 6, 8),
        mlp_width=64,
        steps=3000,
        seeds=4,
        eval_every=100,
        frontier_ns=(2, 3, 4, 6, 8, 12),
        widths=(1, 2, 4, 8, 16, 32, 64, 128),
        frontier_seeds=3,
        frontier_steps=3000,
        threads=None,
    ),
    paper=replace(
        _comp_training,
        ns=(4, 8, 16, 25, 30),
        mlp_width=64,
        steps=18_000,
        batch=2500,
        lr=1e-3,
        seeds=8,
        eval_every=500,
        frontier_ns=(2, 3, 4, 6, 8, 12, 16, 24),
        widths=(1, 2, 4, 8, 16, 32, 64, 128, 256),
        frontier_seeds=8,
        frontier_steps=18_000,
        threads=None,
    ),
)


@dataclass(frozen=True, kw_only=True)
class Match3Sizes:
    """Page 25's Match3 task: ``N`` tokens modulo ``m``, and the heads of its models (two: the
    Strassen paper's Match3 construction and its experiments use two heads)."""

    N: int
    m: int
    heads: int


@dataclass(frozen=True, kw_only=True)
class RelationSizes:
    """Page 25's binary-relation composition: relations on ``m`` elements of edge ``density``."""

    m: int
    density: float


@dataclass(frozen=True, kw_only=True)
class StrassenTimingSizes:
    """Page 25's time per step: lengths ``Ts`` per attention form, the slope fitted on the last
    ``fit_last``; each point the median of at least ``repeats`` passes and of more until they
    take ``min_seconds`` (a few passes of milliseconds sample the load of a few time slices)."""

    d: int
    batch: int = cut_batch()
    repeats: int
    min_seconds: float = 0.2
    Ts: dict[str, tuple[int, ...]]
    fit_last: int


@dataclass(frozen=True, kw_only=True)
class StrassenSizes:
    """Page 25: Strassen attention. Construction checks; one layer (softmax / Strassen) against two
    on Comp_n at page 24's plateau ``n``; Match3 and binary-relation composition; time per step.
    ``paper`` uses the Strassen paper's optimiser settings (d = 16, 1 head, batch 2500, lr 1e-3)
    and sizes near theirs, on a GPU; our samplers are uniform (theirs balance the labels)."""

    layer_checks: tuple[tuple[int, int], ...]
    exhaustive_ns: tuple[int, ...]
    random_ns: tuple[int, ...]
    random_inputs: int = cut_samples()
    comp_n: int
    d: int
    heads: int
    mlp_width: int
    steps: int = cut_steps()
    batch: int = cut_batch()
    lr: float
    seeds: int
    eval_every: int
    eval_samples: int = cut_samples()
    match3: Match3Sizes
    brc: RelationSizes
    token_steps: int = cut_steps()
    token_batch: int = cut_batch()
    token_lr: float
    token_eval_every: int
    token_eval_samples: int = cut_samples()
    baseline_samples: int = cut_samples()
    timing: StrassenTimingSizes
    threads: int | None


_strassen = StrassenSizes(
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
    match3=Match3Sizes(N=6, m=31, heads=2),
    brc=RelationSizes(m=4, density=0.4),
    token_steps=800,
    token_batch=64,
    token_lr=1e-2,
    token_eval_every=100,
    token_eval_samples=256,
    baseline_samples=50_000,
    timing=StrassenTimingSizes(
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
    threads=2,  # both cores of the 2-core CPU the quick profile is sized for
)
_SIZES["25_strassen_attention"] = _profiles(
    _strassen,
    laptop=replace(
        _strassen,
        layer_checks=((1, 9), (5, 7), (16, 16), (32, 48)),
        random_ns=(8, 16, 32, 64, 128),
        random_inputs=10_000,
        comp_n=8,
        mlp_width=64,
        steps=3000,
        lr=1e-2,
        seeds=4,
        eval_every=100,
        eval_samples=2000,
        match3=Match3Sizes(N=8, m=53, heads=2),
        brc=RelationSizes(m=5, density=0.36),
        token_steps=3000,
        token_batch=128,
        token_eval_samples=1000,
        baseline_samples=200_000,
        timing=replace(
            _strassen.timing,
            d=32,
            batch=8,
            repeats=5,
            Ts=dict(
                strassen=(32, 64, 128, 256, 512),
                naive=(16, 32, 64, 128, 192),
                softmax=(128, 256, 512, 1024, 2048, 4096),
            ),
        ),
        threads=None,
    ),
    paper=replace(
        _strassen,
        layer_checks=((1, 9), (5, 7), (16, 16), (32, 48), (64, 64)),
        random_ns=(8, 16, 32, 64, 128, 256),
        random_inputs=100_000,
        comp_n=25,
        mlp_width=64,
        steps=18_000,
        batch=2500,
        lr=1e-3,
        seeds=8,
        eval_every=500,
        eval_samples=4000,
        match3=Match3Sizes(N=16, m=181, heads=2),
        brc=RelationSizes(m=8, density=0.29),
        token_steps=18_000,
        token_batch=2500,
        token_lr=1e-3,
        token_eval_every=500,
        token_eval_samples=2000,
        baseline_samples=1_000_000,
        timing=replace(
            _strassen.timing,
            d=64,
            batch=8,
            repeats=5,
            Ts=dict(
                strassen=(64, 128, 256, 512, 1024),
                naive=(32, 64, 128, 256),
                softmax=(256, 512, 1024, 2048, 4096, 8192),
            ),
        ),
        threads=None,
    ),
)


# -- the Strassen paper's experiments (26) ----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PaperRunSizes:
    """Page 26: one task's data and training (the paper's Table 6 at ``paper``)."""

    task: PaperTaskSizes
    d: int
    heads: int
    mlp_width: int
    dropout: float
    samples: int
    epochs: int = cut_steps()
    batch: int = cut_batch()


@dataclass(frozen=True, kw_only=True)
class PaperTimingSizes:
    """Page 26's time per step: lengths ``Ts`` per attention (squares, so triangular applies)."""

    d: int
    batch: int = cut_batch()
    repeats: int
    Ts: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class StrassenPaperSizes:
    """Page 26: the paper's four tasks, its attentions, seeds and rate; ``claims`` names the
    comparisons this profile's sizes are meant to separate (the others are shown, not claimed)."""

    fcomp: PaperRunSizes
    brc: PaperRunSizes
    match3: PaperRunSizes
    qbrc: PaperRunSizes
    seeds: int
    lr: float
    timing: PaperTimingSizes
    claims: tuple[str, ...]
    threads: int | None

    @property
    def tasks(self) -> dict[str, PaperRunSizes]:
        """The four tasks' sizes by task name, in the paper's order."""
        return {"fcomp": self.fcomp, "brc": self.brc, "match3": self.match3, "qbrc": self.qbrc}


_paper_run = PaperRunSizes(
    task=PaperTaskSizes(3, 4, density=0.4),
    d=16,
    heads=1,
    mlp_width=16,
    dropout=0.0,
    samples=800,
    epochs=8,
    batch=48,
)
_strassen_paper = StrassenPaperSizes(
    fcomp=replace(_paper_run, task=PaperTaskSizes(6, 8)),
    brc=_paper_run,
    match3=replace(_paper_run, task=PaperTaskSizes(6, 8, M=11), heads=2),
    qbrc=replace(_paper_run, task=PaperTaskSizes(3, 4, density=0.45)),
    seeds=3,
    lr=1e-2,
    timing=PaperTimingSizes(d=16, batch=4, repeats=3, Ts=(16, 36, 64, 100)),
    claims=("brc triangular", "timing", "fcomp"),
    threads=1,  # tiny tensors: a second thread costs more than it gives, worst on a busy machine
)
_SIZES["26_strassen_paper"] = _profiles(
    _strassen_paper,
    # laptop: sized to run the whole page in about 40 minutes on one thread of a shared 2-core
    # CPU. The cubic layers (Strassen, third-order) dominate: grids stay at 4-5 elements (25
    # tokens), sequences at 14-20 tokens. Rate 1e-2 as at quick: at 3e-3 one Strassen layer
    # separates from the others on QBRC only after twice the epochs. Table 1's comparison is not
    # claimed: on grids of 4-5 elements two standard layers learn relation composition as well
    # as one Strassen layer (the page says so); it needs the paper's grids of 6-8.
    laptop=replace(
        _strassen_paper,
        fcomp=replace(_paper_run, task=PaperTaskSizes(16, 20), samples=5000, epochs=20, batch=250),
        brc=replace(_paper_run, task=PaperTaskSizes(4, 5, density=0.35), samples=5000, epochs=20, batch=250),
        match3=replace(
            _paper_run, task=PaperTaskSizes(14, 16, M=23), heads=2, samples=5000, epochs=20, batch=250
        ),
        qbrc=replace(
            _paper_run, task=PaperTaskSizes(4, 5, density=0.45), samples=10_000, epochs=15, batch=250
        ),
        seeds=3,
        lr=1e-2,
        timing=replace(_strassen_paper.timing, Ts=(16, 36, 64, 100, 144, 196)),
        # Match3's lead over standard attention held on seed 0 (0.030) but not seed 1 (0.016)
        claims=("brc triangular", "timing", "qbrc", "fcomp"),
        threads=1,  # sized on one thread; tiny tensors gain little from a second
    ),
    paper=replace(
        _strassen_paper,
        fcomp=PaperRunSizes(
            task=PAPER_SIZES["fcomp"],
            d=16,
            heads=1,
            mlp_width=16,
            dropout=0.3,
            samples=50_000,
            epochs=1000,
            batch=2500,
        ),
        brc=PaperRunSizes(
            task=PAPER_SIZES["brc"],
            d=16,
            heads=1,
            mlp_width=16,
            dropout=0.3,
            samples=50_000,
            epochs=200,
            batch=2500,
        ),
        match3=PaperRunSizes(
            task=PAPER_SIZES["match3"],
            d=128,
            heads=2,
            mlp_width=128,
            dropout=0.4,
            samples=50_000,
            epochs=500,
            batch=2500,
        ),
        qbrc=PaperRunSizes(
            task=PAPER_SIZES["qbrc"],
            d=16,
            heads=1,
            mlp_width=16,
            dropout=0.3,
            samples=50_000,
            epochs=3000,
            batch=2000,
        ),
        seeds=8,
        lr=1e-3,
        timing=replace(_strassen_paper.timing, d=16, batch=8, repeats=5, Ts=(16, 64, 144, 256, 400)),
        claims=("brc triangular", "timing", "qbrc", "brc table 1", "match3", "fcomp"),
        threads=None,
    ),
)


# -- performance (90) -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PerformanceTargets:
    """The goals page 90 checks the recorded benchmarks against."""

    fig1_geomean_ratio: float
    fig1_every_ratio: float
    batched_throughput_K8: float
    batched_cost_fraction_K8: float
    flops_fraction: float
    book_minutes_quick: float


@dataclass(frozen=True, kw_only=True)
class PerformanceSizes:
    """Page 90 times nothing: it reads the committed ``benchmarks/results/*.json``, the same at
    every profile."""

    results_dir: str
    benchmarks: tuple[str, ...]
    targets: PerformanceTargets


_SIZES["90_performance"] = _every_profile(
    PerformanceSizes(
        results_dir="benchmarks/results",
        benchmarks=("fig1", "batched_seeds", "flops", "scaling", "sweep", "heads", "threads", "threads_idle"),
        targets=PerformanceTargets(
            fig1_geomean_ratio=2.0,
            fig1_every_ratio=1.0,
            batched_throughput_K8=3.0,
            batched_cost_fraction_K8=0.5,
            flops_fraction=0.4,
            book_minutes_quick=10.0,
        ),
    )
)


# -- what each training page costs at each profile (92) ------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PaperScaleSizes:
    """Page 92 trains nothing: it plans every training page at every profile
    (:mod:`attnlab.runtime.work`) and, per page and profile, times ``timing_steps`` steps (after
    ``timing_warmup``), and more until they take ``timing_min_seconds``, of the page's smallest and
    dominant run (:func:`attnlab.book.plans.estimate`), each cut to one model and a smaller batch
    when its step exceeds ``timing_max_flops``; at each profile the ``timing_max_runs[profile]``
    run shapes with the most FLOPs are timed on their own as well (every shape of the quick
    profile: seconds in all; a few of the larger profiles, whose steps take longer). The GPU
    column assumes ``gpu_fraction`` of the float32 peak ``gpu_peak_tflops`` of ``gpu_name`` (the
    memory plan's reference GPU, ``gpu_gib`` GiB); ``gpu_timings`` (relative to the project root)
    is the committed result of ``benchmarks/bench_gpu.py``, the same estimates timed on a GPU,
    shown beside that column. The same at every profile."""

    timing_steps: int = cut_steps()
    timing_warmup: int
    timing_min_seconds: float
    timing_max_flops: float
    timing_max_runs: dict[str, int]
    gpu_name: str
    gpu_gib: int
    gpu_peak_tflops: float
    gpu_fraction: float
    gpu_timings: str = "benchmarks/results/gpu.json"


_SIZES["92_paper_scale"] = _every_profile(
    PaperScaleSizes(
        timing_steps=3,
        timing_warmup=1,
        timing_min_seconds=0.5,  # steps of milliseconds: time enough of them to span the load
        timing_max_flops=5e9,
        timing_max_runs=dict(quick=16, laptop=1, paper=1),
        gpu_name="NVIDIA A100 80GB",
        gpu_gib=80,
        gpu_peak_tflops=19.5,  # NVIDIA's data sheet: FP32, no tensor cores (torch's float32 default)
        gpu_fraction=0.3,
    )
)


# -- claims ledger (95) ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ClaimsSizes:
    """Page 95 computes nothing: it reads every page's results for its profile."""


_SIZES["95_claims"] = _every_profile(ClaimsSizes())


SIZES: Mapping[str, Mapping[str, Any]] = MappingProxyType(_SIZES)
"""notebook -> profile -> the page's sizes (read-only)."""


def sizes(notebook: str, profile: str) -> Any:
    """Sizes of ``notebook`` under ``profile``: the page's frozen dataclass (``cfg.d``,
    ``cfg.fig1.groups``, ...); in a smoke run (:data:`SMOKE_ENV`) cut as each field says."""
    check_choice("notebook", notebook, SIZES)
    check_choice("profile", profile, PROFILES)
    table = SIZES[notebook][profile]
    k = smoke_steps()
    return smoke_cut(table, k) if k else table


def as_dict(sizes: Any) -> dict[str, Any]:
    """``sizes`` (a page's, or one of its groups) as a plain dict, nested groups as dicts, values as
    they are (tuples stay tuples): what a page records under ``sizes`` and shows on its run card.
    A field with a default that holds it (a size this profile leaves unset, such as fig3's own
    ``lr``) is left out."""
    out: dict[str, Any] = {}
    for f in fields(sizes):
        value = getattr(sizes, f.name)
        if f.default is not MISSING and value == f.default:
            continue
        out[f.name] = as_dict(value) if is_dataclass(value) else value
    return out
