"""The typed sizes table: profiles, read-only sizes, smoke cuts and the recorded dict."""

from typing import Any

import pytest

from attnlab.book.profiles import PROFILES, SIZES, SMOKE_BATCH, SMOKE_ENV, SMOKE_SAMPLES, as_dict, sizes


def _name_rule(value: Any, k: int, key: str = "") -> Any:
    """The smoke cut as key names once decided it (the metadata must agree at every page)."""
    if isinstance(value, dict):
        return {name: _name_rule(v, k, name) for name, v in value.items()}
    if isinstance(value, int) and (key == "steps" or key.endswith("_steps")):
        return min(value, k)
    if isinstance(value, int) and (key == "samples" or key.endswith(("_samples", "_inputs"))):
        return min(value, SMOKE_SAMPLES)
    if isinstance(value, int) and (key == "batch" or key.endswith("_batch")):
        return min(value, SMOKE_BATCH)
    if isinstance(value, int) and key == "eval_batches":
        return 1
    return value


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("notebook", list(SIZES))
def test_smoke_cut_by_metadata_equals_the_name_rule(notebook, profile, monkeypatch):
    full = as_dict(sizes(notebook, profile))
    monkeypatch.setenv(SMOKE_ENV, "2")
    assert repr(as_dict(sizes(notebook, profile))) == repr(_name_rule(full, 2))
