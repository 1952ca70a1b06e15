"""Page 25's runs: the models, their planned work, and the timing of one layer."""

import pytest

from attnlab.book.profiles import PROFILES, sizes
from attnlab.composition import strassen_vs_softmax as sv

PAGE = "25_strassen_attention"


@pytest.mark.parametrize("profile", PROFILES)
def test_planned_work(profile):
    s = sizes(PAGE, profile)
    work = sv.planned_work(s)
    assert work.runs == 7 * s.seeds
    assert work.steps == 3 * s.steps + 4 * s.token_steps
    groups = sv.page_configs(s)
    comp = [c for tag, c in groups if tag == "comp"]
    expected = [(m["attention"], m["layers"]) for m in sv.COMP_MODELS.values()]
    assert [(c.model.attention, c.model.layers) for c in comp] == expected
    assert work.flops == pytest.approx(sum(c.work().flops for _, c in groups))
    match3 = [c for tag, c in groups if tag == "tokens" and c.task == "match3"]
    assert [c.model.heads for c in match3] == [s.match3.heads] * 2 == [2, 2]  # the paper's two heads
    timed = sv.timed_config(s)
    assert timed.model.attention == "strassen" and timed.task == "comp"


def test_time_step_runs():
    for form in ("strassen", "naive", "softmax"):
        assert sv.time_step(form, 6, d=4, batch=2, repeats=1) > 0
    with pytest.raises(ValueError, match=r"^form must be one of"):
        sv.time_step("flash", 6)


def test_matmul_flops_are_cubic_for_strassen_and_quadratic_for_softmax():
    f = {
        form: [sv.step_matmul_flops(form, T, d=4, batch=2) for T in (16, 32)]
        for form in ("strassen", "softmax")
    }
    # forward: the d products (X diag v_l) Y of T x T matrices dominate, 2 B d T^3 FLOPs
    assert f["strassen"][0] >= 2 * 2 * 4 * 16**3
    assert 7 < f["strassen"][1] / f["strassen"][0] <= 8  # cubic, with quadratic lower terms
    assert 3 < f["softmax"][1] / f["softmax"][0] <= 4


def test_comp_step_seconds_times_each_comp_model():
    from dataclasses import replace

    s = replace(sizes(PAGE, "quick"), batch=8, seeds=1)
    t = sv.comp_step_seconds(s, repeats=1)
    assert list(t) == list(sv.COMP_MODELS) and all(x > 0 for x in t.values())
    with pytest.raises(ValueError, match="^repeats"):
        sv.comp_step_seconds(s, repeats=0)


def test_span_text():
    assert sv.span_text([1.0, 0.99999, 1.0]) == "1.000 on every seed"
    assert sv.span_text([0.452, 0.4613]) == "between 0.452 and 0.461"
    assert sv.span_text([0.5]) == "0.500"
    with pytest.raises(ValueError, match="^values"):
        sv.span_text([])
