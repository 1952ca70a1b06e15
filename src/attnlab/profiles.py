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
            d=16, Ns=(2, 16, 256), betas=(1, 3, 10, 30, 100, 300, 1e3, 3e3, 1e4, 3e4, 1e5), samples=2000
        ),
        "laptop": dict(
            d=32, Ns=(2, 16, 256), betas=(1, 3, 10, 30, 100, 300, 1e3, 3e3, 1e4, 3e4, 1e5), samples=8000
        ),
        "paper": dict(
            d=64, Ns=(2, 16, 256), betas=(1, 3, 10, 30, 100, 300, 1e3, 3e3, 1e4, 3e4, 1e5), samples=20000
        ),
    },
    "11_random_features": {
        "quick": dict(dims=(8, 16, 32, 64), heads=(1, 4, 16, 64, 256, 1024), mc_heads=16, mc_samples=100_000),
        "laptop": dict(
            dims=(8, 16, 32, 64), heads=(1, 4, 16, 64, 256, 1024, 4096), mc_heads=64, mc_samples=400_000
        ),
        "paper": dict(
            dims=(8, 16, 32, 64),
            heads=(1, 4, 16, 64, 256, 1024, 4096, 16384),
            mc_heads=64,
            mc_samples=1_000_000,
        ),
    },
    # -- composition (chapter 2x) ---------------------------------------------------------
}


def sizes(notebook: str, profile: str) -> SimpleNamespace:
    """Sizes of ``notebook`` under ``profile`` as a namespace (``cfg.d``, ``cfg.ranks``, ...)."""
    check_choice("notebook", notebook, SIZES)
    check_choice("profile", profile, PROFILES)
    return SimpleNamespace(**SIZES[notebook][profile])
