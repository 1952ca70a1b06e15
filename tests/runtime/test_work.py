import pytest

from attnlab.runtime.work import Work, format_flops, format_seconds, median_seconds, seconds_per_flop, total


def test_work_adds_up():
    w = total([Work(2, 100, 1e9), Work(3, 50, 2e9)])
    assert w == Work(5, 150, 3e9)
    assert w.seconds(1e-9) == pytest.approx(3.0)


def test_seconds_per_flop_times_the_step():
    calls = []
    rate = seconds_per_flop(lambda: calls.append(1), flops_per_step=1e6, steps=4, warmup=2)
    assert len(calls) == 6
    assert 0 <= rate < 1e-3


def test_median_seconds_keeps_the_middle_call(monkeypatch):
    import attnlab.runtime.work as work

    clock = iter([0.0, 1.0, 1.0, 9.0, 9.0, 11.0])  # timed calls of 1, 8 and 2 seconds
    monkeypatch.setattr(work.time, "perf_counter", lambda: next(clock))
    calls = []
    assert median_seconds(lambda: calls.append(1), repeats=3, warmup=2) == 2.0
    assert len(calls) == 5
    with pytest.raises(ValueError, match="repeats"):
        median_seconds(lambda: None, repeats=0)
    with pytest.raises(ValueError, match="min_seconds"):
        median_seconds(lambda: None, min_seconds=-1.0)


def test_median_seconds_times_until_its_floor(monkeypatch):
    import attnlab.runtime.work as work

    clock = iter([0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 7.0, 7.0, 8.0])  # calls of 1, 1, 1, 4 and 1 s
    monkeypatch.setattr(work.time, "perf_counter", lambda: next(clock))
    calls = []
    assert median_seconds(lambda: calls.append(1), repeats=2, warmup=0, min_seconds=7.5) == 1.0
    assert len(calls) == 5  # 2 calls reach 2 s; 5 reach 8 s


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
