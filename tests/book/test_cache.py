import json

from attnlab.book.cache import atomic_write_text, cached, config_key


def test_cached_computes_once_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_CACHE", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return {"loss": 0.5}

    assert cached({"d": 4}, compute) == {"loss": 0.5}
    assert cached({"d": 4}, compute) == {"loss": 0.5}
    assert len(calls) == 1
    cached({"d": 8}, compute)
    assert len(calls) == 2


def test_damaged_entry_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_CACHE", str(tmp_path))
    path = tmp_path / "results" / f"{config_key({'a': 1})}.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert cached({"a": 1}, lambda: [1, 2]) == [1, 2]
    assert json.loads(path.read_text())["result"] == [1, 2]


def test_cache_off_bypasses(monkeypatch):
    monkeypatch.setenv("ATTNLAB_CACHE", "off")
    calls = []
    cached({"x": 1}, lambda: calls.append(1))
    cached({"x": 1}, lambda: calls.append(1))
    assert len(calls) == 2


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "sub" / "f.json"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]


def test_key_depends_on_config():
    assert config_key({"a": 1, "b": 2}) == config_key({"b": 2, "a": 1})
    assert config_key({"a": 1}) != config_key({"a": 2})
