"""The laptop and paper profiles are known to start: every training page, smoke-run.

A smoke run (``attnlab.book.profiles.SMOKE_ENV``) builds every model of the profile at full size and
trains each for two steps, on this CPU, with the page's claims recorded but not checked. A
long GPU run therefore cannot die an hour in on a typo in a configuration.

These runs take minutes each on a 2-core CPU, so they are marked ``smoke`` and run by
``make smoke``, not by ``make test``.
"""

import json

import pytest

from attnlab.book.execute import execute
from attnlab.book.page import results_path
from attnlab.book.profiles import SIZES, smoke_cuts
from tests.conftest import ROOT

TRAINING_PAGES = [name for name, table in SIZES.items() if "steps" in smoke_cuts(table["paper"]).values()]


def test_the_training_pages_are_found():
    assert {"12_training_rank_heads", "24_training_composition"} <= set(TRAINING_PAGES)


@pytest.mark.smoke
@pytest.mark.parametrize("profile", ["laptop", "paper"])
@pytest.mark.parametrize("name", TRAINING_PAGES)
def test_profile_starts(name, profile, tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_RESULTS", str(tmp_path))
    monkeypatch.setenv("ATTNLAB_CACHE", "off")  # smoke numbers never enter the results cache
    run = execute(name, profile, root=ROOT, smoke=2)
    results = json.loads(results_path(name, f"{profile}-smoke", 0, tmp_path).read_text())
    assert results["smoke_steps"] == 2 and results["profile"] == profile
    assert results["claims"], "the page reached its claims"
    print(f"{name} {profile} smoke: {run.seconds:.1f} s")
