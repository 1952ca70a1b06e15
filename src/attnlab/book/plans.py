"""Every training page's plan: its work at each profile, before anything trains.

The book sits on top of the science, so it imports each chapter's planner directly;
the paper-scale page (92) tabulates :func:`page_work` for every page and profile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attnlab._checks import check_choice
from attnlab.book import profiles
from attnlab.composition import one_vs_two_layers as _one_vs_two_layers
from attnlab.composition import strassen_paper as _strassen_paper
from attnlab.composition import strassen_vs_softmax as _strassen_vs_softmax
from attnlab.rank import depth as _depth
from attnlab.rank import rank_heads as _rank_heads
from attnlab.runtime.work import Work

__all__ = ["PLANNERS", "page_work"]

PLANNERS: dict[str, Callable[[Any], Work]] = {
    "12_training_rank_heads": _rank_heads.planned_work,
    "15_depth_long_context": _depth.planned_work,
    "24_training_composition": _one_vs_two_layers.planned_work,
    "25_strassen_attention": _strassen_vs_softmax.planned_work,
    "26_strassen_paper": _strassen_paper.planned_work,
}
"""Every training page and its planner: ``planner(sizes) -> Work`` plans the page's training
from its sizes (``sizes = attnlab.book.profiles.sizes(page, profile)``)."""


def page_work(notebook: str, profile: str) -> Work:
    """The training work of page ``notebook`` at ``profile``, planned from the page's sizes."""
    check_choice("notebook", notebook, PLANNERS)
    check_choice("profile", profile, profiles.PROFILES)
    work = PLANNERS[notebook](profiles.sizes(notebook, profile))
    if not isinstance(work, Work):
        raise TypeError(f"the planner of {notebook} must return a Work, got {type(work).__name__}")
    return work
