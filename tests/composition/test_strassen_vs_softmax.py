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
