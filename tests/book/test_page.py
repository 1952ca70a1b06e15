import json
from dataclasses import fields

import numpy as np
import pytest
import torch

from attnlab import ClaimError, Page, sizes
from attnlab.book.page import claim_margin, format_margin, make_claim
from attnlab.book.profiles import PROFILES, SIZES
from attnlab.book.toc import LEDGER


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


def test_claims_record_value_bound_margin_and_fail(tmp_path):
    page = Page("00_attention", profile="quick", seed=3)
    assert page.cfg.d == SIZES["00_attention"]["quick"].d
    page.record("answer", 42)
    entry = page.claim("ratio is large", 4.5, ">=", 3, ratios=[4.5, 5])
    assert entry["margin"] == pytest.approx(0.5) and entry["holds"]
    assert page.claim("error is small", torch.tensor(0.25), "<", 1.0)["margin"] == pytest.approx(0.75)
    assert page.claim("no mismatch", np.int64(0), "==", 0)["margin"] is None
    with pytest.raises(
        ClaimError, match=r"claim failed: false things fail \(value 3 < 2 does not hold; lhs=3\)"
    ):
        page.claim("false things fail", 3, "<", 2, lhs=3)
    page.finish()
    path = page.results_file
    data = json.loads(path.read_text())
    assert path == tmp_path / "quick" / "seed-3" / "00_attention.json"
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert data["seed"] == 3 and data["profile"] == "quick"
    assert data["numbers"]["answer"] == 42
    assert [c["holds"] for c in data["claims"]] == [True, True, True, False]
    assert data["claims"][3]["margin"] == pytest.approx(-0.5)
    assert data["claims"][0]["context"] == {"ratios": [4.5, 5]}
    assert data["wall_time_s"] >= 0 and "torch" in data["versions"]
    assert data["sweep"] == {"computed": 0, "cached": 0} and len(data["load_avg"]) == 3
    assert {"numpy", "matplotlib", "attnlab"} <= set(data["versions"])
    prov = data["provenance"]
    assert len(prov["git_commit"]) == 40 and isinstance(prov["git_dirty"], bool)
    assert prov["device"] == "cpu" and prov["threads"] >= 1 and len(prov["package_source_hash"]) == 16


@pytest.mark.parametrize(
    "value, op, bound, error",
    [
        (True, ">=", 1, TypeError),  # a bare boolean is not a measurement
        (np.bool_(True), "==", 1, TypeError),
        (torch.tensor([1.0, 2.0]), "<", 3, TypeError),
        ("1", "<", 3, TypeError),
        (1.0, "=>", 3, ValueError),
        (1.0, "<", None, TypeError),
    ],
)
def test_claim_refuses_what_is_not_a_value_against_a_bound(value, op, bound, error):
    page = Page("00_attention", profile="quick", seed=0)
    with pytest.raises(error, match="claim"):
        page.claim("s", value, op, bound)


def test_margin_is_relative_to_the_bound_and_signed():
    assert claim_margin(0.9, "<", 1.0) == pytest.approx(0.1)
    assert claim_margin(1.1, "<", 1.0) == pytest.approx(-0.1)
    assert claim_margin(-3.0, ">=", -4.0) == pytest.approx(0.25)
    assert claim_margin(2.0, "<=", 0) is None and claim_margin(1, "==", 1) is None
    assert format_margin(None) == "exact" and format_margin(0.123) == "12%"
    assert not make_claim("nan never holds", float("nan"), "<", 1.0, {})["holds"]


def test_every_notebook_has_every_profile():
    for notebook, table in SIZES.items():
        assert set(table) == set(PROFILES), notebook
        for profile in PROFILES:
            assert vars(sizes(notebook, profile)) or notebook == LEDGER, (notebook, profile)


def test_the_page_glues_and_shows_its_sizes(monkeypatch, capsys):
    import attnlab.book.page as page_module

    glued = {}
    monkeypatch.setattr(page_module, "_glue", lambda name, value: glued.__setitem__(name, value))
    monkeypatch.setattr(page_module, "_display", print)
    monkeypatch.setattr(page_module, "_markdown", str)
    page = Page("00_attention", profile="quick", seed=0)
    quick = SIZES["00_attention"]["quick"]
    assert {f"cfg_{f.name}" for f in fields(quick)} <= set(glued) and glued["cfg_d"] == quick.d
    page.finish()
    data = json.loads(page.results_file.read_text())
    assert data["sizes"]["d"] == quick.d
    assert f"`d` = {quick.d}" in capsys.readouterr().out  # on the run card


def test_in_jupyterlab_the_banner_lists_the_numbers_the_prose_names(monkeypatch):
    import attnlab.book.page as page_module

    shown = []

    class Handle:
        def update(self, obj):
            shown.append(obj)

    monkeypatch.setattr(page_module, "_markdown", str)
    monkeypatch.setattr(page_module, "_display_handle", lambda obj: shown.append(obj) or Handle())
    monkeypatch.setenv("JPY_SESSION_NAME", "notebooks/00_attention.py")
    page = Page("00_attention", profile="quick", seed=0)
    d = SIZES["00_attention"]["quick"].d
    assert f"`cfg_d` = {d}" in shown[0] and "when the page finishes" in shown[0]
    page.record("l1_slope", -1.0123456)
    page.finish()
    last = shown[-1]
    assert f"`cfg_d` = {d}" in last and "`l1_slope` = -1.012" in last and "`runtime` = " in last


def test_outside_jupyterlab_the_banner_is_the_books(monkeypatch, capsys):
    import attnlab.book.page as page_module

    monkeypatch.setattr(page_module, "_display", print)
    monkeypatch.setattr(page_module, "_markdown", str)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    Page("00_attention", profile="quick", seed=0)
    assert "In JupyterLab" not in capsys.readouterr().out


def test_page_device_uses_the_profiles_threads_on_cpu_unless_told(monkeypatch):
    from attnlab.book.page import THREADS_ENV

    monkeypatch.delenv(THREADS_ENV, raising=False)
    monkeypatch.setenv("ATTNLAB_DEVICE", "cpu")
    before = torch.get_num_threads()
    try:
        page = Page("24_training_composition", profile="quick", seed=0)
        assert page.device().type == "cpu"
        assert torch.get_num_threads() == sizes("24_training_composition", "quick").threads
        monkeypatch.setenv(THREADS_ENV, "1")
        page.device()
        assert torch.get_num_threads() == 1
        monkeypatch.setenv(THREADS_ENV, "two")
        with pytest.raises(ValueError, match=THREADS_ENV):
            page.device()
    finally:
        torch.set_num_threads(before)


def test_a_smoke_run_cuts_steps_and_caps_batches_not_models(monkeypatch):
    from attnlab.book.profiles import SMOKE_BATCH, SMOKE_ENV, SMOKE_SAMPLES

    full = sizes("25_strassen_attention", "paper")
    monkeypatch.setenv(SMOKE_ENV, "2")
    smoke = sizes("25_strassen_attention", "paper")
    assert smoke.steps == 2 and smoke.token_steps == 2
    assert smoke.batch == min(full.batch, SMOKE_BATCH) and smoke.token_batch == min(
        full.token_batch, SMOKE_BATCH
    )
    assert smoke.random_inputs == min(full.random_inputs, SMOKE_SAMPLES)
    assert (smoke.d, smoke.heads, smoke.mlp_width, smoke.comp_n) == (
        full.d,
        full.heads,
        full.mlp_width,
        full.comp_n,
    )
    monkeypatch.setenv(SMOKE_ENV, "0")
    with pytest.raises(ValueError, match=SMOKE_ENV):
        sizes("25_strassen_attention", "paper")


def test_record_glues_dicts_and_lists_as_prose(monkeypatch, tmp_path):
    import attnlab.book.page as page_module

    glued = {}
    monkeypatch.setenv("ATTNLAB_RESULTS", str(tmp_path))
    monkeypatch.setattr(page_module, "_glue", lambda name, value: glued.__setitem__(name, value))
    monkeypatch.setattr(page_module, "_display", lambda obj: None)
    page = Page("00_attention", profile="quick", seed=0)
    page.record("by_d", {4: 0.03871, 6: 0.0583}, label="d")
    page.record("sizes", [8, 16, 64])
    page.record("one", [11])
    page.record("x", np.float64(0.5))
    assert glued["by_d"] == "d = 4: 0.0387, d = 6: 0.0583"
    assert glued["sizes"] == "8, 16 and 64" and glued["one"] == "11"
    page.record("nested", {"L=1": {"r=1": 9.1, "r=4": 3.2}, "L=3": {"r=1": 1.0}})
    assert glued["nested"] == "L=1: (r=1: 9.1, r=4: 3.2); L=3: (r=1: 1)"
    page.record("shapes", [[4, 8], [16, 32]])
    assert glued["shapes"] == "(4, 8) and (16, 32)"
    assert glued["x"] == 0.5 and type(glued["x"]) is float
    assert page.numbers["by_d"] == {"4": 0.03871, "6": 0.0583}  # the JSON keeps the values


def test_run_card_escapes_pipes_in_statements(monkeypatch, tmp_path):
    import attnlab.book.page as page_module

    shown = []
    monkeypatch.setenv("ATTNLAB_RESULTS", str(tmp_path))
    monkeypatch.setattr(page_module, "_display", shown.append)
    monkeypatch.setattr(page_module, "_markdown", str)
    page = Page("00_attention", profile="quick", seed=0)
    page.claim("largest |z| below 3", 1.0, "<", 3.0)
    page.finish()
    row = next(line for line in shown[-1].splitlines() if line.startswith("| 1 |"))
    assert "largest \\|z\\| below 3" in row and row.count(" | ") == 4
