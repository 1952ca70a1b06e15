import pytest

from attnlab.book import work as work_module
from attnlab.book.profiles import SIZES
from attnlab.book.work import (
    PLANNERS,
    Work,
    format_flops,
    format_seconds,
    page_work,
    planner,
    seconds_per_flop,
    total,
)


def fake_planner(cfg):
    """A planner for the tests: work read off the page's sizes."""
    return Work(runs=cfg.seeds, steps=cfg.steps, flops=1e6 * cfg.steps)


def not_a_planner(cfg):
    return 3


def test_work_adds_up():
    w = total([Work(2, 100, 1e9), Work(3, 50, 2e9)])
    assert w == Work(5, 150, 3e9)
    assert w.seconds(1e-9) == pytest.approx(3.0)


def test_seconds_per_flop_times_the_step():
    calls = []
    rate = seconds_per_flop(lambda: calls.append(1), flops_per_step=1e6, steps=4, warmup=2)
    assert len(calls) == 6
    assert 0 <= rate < 1e-3


@pytest.mark.parametrize("kwargs, name", [({"steps": 0}, "steps"), ({"flops_per_step": 0}, "flops_per_step")])
def test_bad_arguments_are_named(kwargs, name):
    args = {"step": lambda: None, "flops_per_step": 1.0, **kwargs}
    with pytest.raises(ValueError, match=name):
        seconds_per_flop(**args)


def test_formats():
    assert format_seconds(42) == "42 s"
    assert format_seconds(600) == "10.0 min"
    assert format_seconds(7200) == "2.0 h"
    assert format_seconds(5 * 86400) == "5.0 days"
    assert format_seconds(2 * 365.25 * 86400) == "2.0 years"
    assert format_flops(3.2e9) == "3.2 GFLOP"
    assert format_flops(12) == "12 FLOP"


def test_every_training_page_has_a_planner_and_sizes():
    assert set(PLANNERS) == {
        "12_training_rank_heads",
        "15_depth_long_context",
        "24_training_composition",
        "25_strassen_attention",
    }
    for notebook, target in PLANNERS.items():
        module, sep, name = target.partition(":")
        assert sep and module.startswith("attnlab.") and name == "planned_work", target
        assert notebook in SIZES


def test_page_work_resolves_the_planner_lazily_and_plans_from_the_sizes(monkeypatch):
    monkeypatch.setitem(PLANNERS, "12_training_rank_heads", "tests.book.test_work:fake_planner")
    assert planner("12_training_rank_heads") is fake_planner
    for profile in ("quick", "laptop", "paper"):
        sizes = SIZES["12_training_rank_heads"][profile]
        assert page_work("12_training_rank_heads", profile) == Work(
            sizes["seeds"], sizes["steps"], 1e6 * sizes["steps"]
        )


def test_page_work_names_bad_arguments(monkeypatch):
    with pytest.raises(ValueError, match="^notebook must be one of"):
        page_work("00_attention", "quick")
    with pytest.raises(ValueError, match="^profile must be one of"):
        page_work("12_training_rank_heads", "huge")
    monkeypatch.setitem(PLANNERS, "12_training_rank_heads", "tests.book.test_work:not_a_planner")
    with pytest.raises(TypeError, match="must return a Work"):
        page_work("12_training_rank_heads", "quick")
    monkeypatch.setitem(PLANNERS, "12_training_rank_heads", "tests.book.no_such_module:planned_work")
    with pytest.raises(ModuleNotFoundError):
        work_module.page_work("12_training_rank_heads", "quick")
