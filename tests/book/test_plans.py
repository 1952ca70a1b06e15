import pytest

from attnlab.book import plans
from attnlab.book.plans import PLANNERS, page_work
from attnlab.book.profiles import SIZES
from attnlab.runtime.work import Work


def fake_planner(cfg):
    """A planner for the tests: work read off the page's sizes."""
    return Work(runs=cfg.seeds, steps=cfg.steps, flops=1e6 * cfg.steps)


def not_a_planner(cfg):
    return 3


def test_every_training_page_has_a_planner_and_sizes():
    assert set(PLANNERS) == {
        "12_training_rank_heads",
        "15_depth_long_context",
        "24_training_composition",
        "25_strassen_attention",
        "26_strassen_paper",
    }
    for notebook, plan in PLANNERS.items():
        assert plan.__module__.startswith("attnlab.") and plan.__name__ == "planned_work", plan
        assert notebook in SIZES


def test_page_work_plans_from_the_sizes(monkeypatch):
    monkeypatch.setitem(PLANNERS, "12_training_rank_heads", fake_planner)
    for profile in ("quick", "laptop", "paper"):
        sizes = SIZES["12_training_rank_heads"][profile]
        assert page_work("12_training_rank_heads", profile) == Work(
            sizes.seeds, sizes.steps, 1e6 * sizes.steps
        )


def test_page_work_names_bad_arguments(monkeypatch):
    with pytest.raises(ValueError, match="^notebook must be one of"):
        page_work("00_attention", "quick")
    with pytest.raises(ValueError, match="^profile must be one of"):
        page_work("12_training_rank_heads", "huge")
    monkeypatch.setitem(PLANNERS, "12_training_rank_heads", not_a_planner)
    with pytest.raises(TypeError, match="must return a Work"):
        plans.page_work("12_training_rank_heads", "quick")
