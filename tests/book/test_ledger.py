"""The claims ledger lines claims up across seeds and flags failing, missing and tight ones."""

import pytest

from attnlab import Page
from attnlab.book.ledger import (
    TIGHT,
    ledger_markdown,
    ledger_rows,
    load_results,
    main,
    smallest_margins,
    stale_results,
    weakest,
    without,
)


@pytest.fixture()
def results(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_RESULTS", str(tmp_path))
    for seed, ratio in [(0, 4.0), (1, 3.2), (2, 5.0)]:
        page = Page("00_attention", profile="quick", seed=seed)
        page.claim("ratio >= 3", ratio, ">=", 3.0)
        page.claim("no mismatch", 0, "==", 0)
        page.finish()
    page = Page("10_full_rank_construction", profile="quick", seed=0)
    page.claim("error small", 0.5e-3, "<", 1e-3)
    page.finish()
    return tmp_path


def test_rows_line_up_claims_across_seeds(results):
    found = load_results("quick")
    assert sorted(found) == [0, 1, 2] and sorted(found[0]) == ["00_attention", "10_full_rank_construction"]
    rows = ledger_rows(found, ["10_full_rank_construction", "00_attention"])
    assert [(r.notebook, r.index) for r in rows] == [
        ("10_full_rank_construction", 0),
        ("00_attention", 0),
        ("00_attention", 1),
    ]
    ratio = rows[1]
    assert ratio.values == {0: 4.0, 1: 3.2, 2: 5.0}
    assert ratio.worst_margin == pytest.approx(0.2 / 3)
    assert ratio.worst_margin < TIGHT and ratio.status([0, 1, 2]) == "tight"
    assert rows[2].worst_margin is None and rows[2].status([0, 1, 2]) == "holds"
    assert rows[0].status([0, 1, 2]) == "missing"  # only seed 0 ran that page
    assert smallest_margins(rows)["00_attention"] == pytest.approx(0.2 / 3)
    table = ledger_markdown(rows, [0, 1, 2])
    assert "| 00_attention | ratio >= 3 | >= 3 | 4 (33%) | 3.2 (7%) | 5 (67%) | 7% | tight |" in table


def test_cli_fails_on_tight_and_missing_claims(results, capsys):
    assert main(["--profile", "quick", "--seeds", "0", "1", "2"]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM 00_attention: tight" in out and "no results for seed 1" in out
    assert main(["--profile", "quick", "--seeds", "7"]) == 1
    assert "run make verify first" in capsys.readouterr().out


def test_results_of_other_sources_are_stale_and_fail_the_cli(results, capsys):
    import json

    found = load_results("quick")
    assert stale_results(found) == {}
    assert stale_results(found, current="another") == {
        0: ["00_attention", "10_full_rank_construction"],
        1: ["00_attention"],
        2: ["00_attention"],
    }
    file = results / "quick" / "seed-1" / "00_attention.json"
    data = json.loads(file.read_text())
    data["provenance"]["package_source_hash"] = "old"
    file.write_text(json.dumps(data))
    found = load_results("quick")
    stale = stale_results(found)
    assert stale == {1: ["00_attention"]}
    rows = ledger_rows(without(found, stale))
    assert rows[0].values == {0: 4.0, 2: 5.0}  # the stale seed's margin is left out
    assert [r.statement for r in weakest(rows, 1)] == ["ratio >= 3"]
    assert main(["--profile", "quick", "--seeds", "1"]) == 1
    assert (
        "00_attention: results of seed 1 come from other package sources (stale)" in capsys.readouterr().out
    )
