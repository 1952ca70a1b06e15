import pytest

from attnlab.runtime.runs import Runs

RUNS = Runs(
    [
        dict(N=16, rank=1, seed=0, error=0.5),
        dict(N=16, rank=1, seed=1, error=0.4),
        dict(N=16, rank=16, seed=0, error=0.1),
    ]
)


def test_rows_are_read_by_identity():
    assert len(RUNS) == 3 and RUNS.fields == ("N", "rank", "seed", "error")
    assert RUNS.values("error", rank=1) == [0.5, 0.4]
    assert RUNS.best("error", N=16) == 0.1
    assert [r["seed"] for r in RUNS.select(rank=1)] == [0, 1]


def test_bad_queries_are_named():
    with pytest.raises(ValueError, match="no field 'heads'"):
        RUNS.select(heads=1)
    with pytest.raises(KeyError, match="no trained model"):
        RUNS.select(rank=4)
