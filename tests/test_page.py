import json

import pytest

from attnlab import ClaimError, Page, sizes
from attnlab.profiles import PROFILES, SIZES


@pytest.fixture(autouse=True)
def results_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_RESULTS", str(tmp_path))


def test_bad_profile_and_seed_name_the_parameter():
    with pytest.raises(ValueError, match="^profile must be one of 'quick', 'laptop', 'paper'"):
        Page("00_attention", profile="fast", seed=0)
    with pytest.raises(ValueError, match="^seed must be an integer >= 0"):
        Page("00_attention", profile="quick", seed=-1)
    with pytest.raises(ValueError, match="^seed must be an integer"):
        Page("00_attention", profile="quick", seed="0")
    with pytest.raises(ValueError, match="^notebook must be one of"):
        Page("no_such_page", profile="quick", seed=0)


def test_claims_record_and_fail(tmp_path):
    page = Page("00_attention", profile="quick", seed=3)
    assert page.cfg.d == SIZES["00_attention"]["quick"]["d"]
    page.record("answer", 42)
    page.claim("true things hold", 1 < 2, lhs=1, rhs=2)
    with pytest.raises(ClaimError, match=r"claim failed: false things fail \(lhs=3, rhs=2\)"):
        page.claim("false things fail", 3 < 2, lhs=3, rhs=2)
    path = page.finish()
    data = json.loads(path.read_text())
    assert path == tmp_path / "00_attention.json"
    assert data["seed"] == 3 and data["profile"] == "quick"
    assert data["numbers"]["answer"] == 42
    assert [c["holds"] for c in data["claims"]] == [True, False]
    assert data["wall_time_s"] >= 0 and "torch" in data["versions"]


def test_every_notebook_has_every_profile():
    for notebook, table in SIZES.items():
        assert set(table) == set(PROFILES), notebook
        for profile in PROFILES:
            assert vars(sizes(notebook, profile)), (notebook, profile)
