import inspect
import json
import shutil
from pathlib import Path

import pytest

import attnlab
from attnlab.composition import training as composition_training
from attnlab.rank import train as rank_train
from attnlab.runtime.cache import atomic_write_text, cached, code_hash, code_modules, config_key

CODE = "0123456789abcdef"


def test_cached_computes_once_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_CACHE", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return {"loss": 0.5}

    assert cached({"d": 4}, compute, code=CODE) == {"loss": 0.5}
    assert cached({"d": 4}, compute, code=CODE) == {"loss": 0.5}
    assert len(calls) == 1
    cached({"d": 8}, compute, code=CODE)
    assert len(calls) == 2
    cached({"d": 4}, compute, code="other code")  # other code, other result
    assert len(calls) == 3


def test_damaged_entry_is_recomputed(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTNLAB_CACHE", str(tmp_path))
    path = tmp_path / "results" / f"{config_key({'a': 1}, CODE)}.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert cached({"a": 1}, lambda: [1, 2], code=CODE) == [1, 2]
    assert json.loads(path.read_text())["result"] == [1, 2]


def test_cache_off_bypasses(monkeypatch):
    monkeypatch.setenv("ATTNLAB_CACHE", "off")
    calls = []
    cached({"x": 1}, lambda: calls.append(1), code=CODE)
    cached({"x": 1}, lambda: calls.append(1), code=CODE)
    assert len(calls) == 2


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    target = tmp_path / "sub" / "f.json"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["f.json"]


def test_key_depends_on_config_and_code():
    assert config_key({"a": 1, "b": 2}, CODE) == config_key({"b": 2, "a": 1}, CODE)
    assert config_key({"a": 1}, CODE) != config_key({"a": 2}, CODE)
    assert config_key({"a": 1}, CODE) != config_key({"a": 1}, "fedcba9876543210")


@pytest.mark.parametrize("run", [rank_train.train_run, composition_training.train_run])
def test_a_run_depends_on_its_chapter_never_on_the_book(run):
    modules = code_modules(run.__module__)
    assert run.__module__ in modules
    assert not [m for m in modules if m.startswith("attnlab.book")], modules
    assert code_hash(run.__module__) == code_hash(run.__module__)


def test_code_modules_names_a_bad_module():
    for bad in ("attnlab.no_such_module", "no_such_module", "sys"):
        with pytest.raises(ValueError, match="^module must name"):
            code_modules(bad)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def test_cached_runs_survive_docstring_and_book_edits_not_a_training_step_edit(tmp_path):
    """The cache key of both chapters' runs, in a copy of the package edited three ways."""
    package = Path(attnlab.__file__).parent
    src = tmp_path / "src"
    shutil.copytree(package, src / "attnlab", ignore=shutil.ignore_patterns("__pycache__"))
    runs = [rank_train.train_run.__module__, composition_training.train_run.__module__]
    before = [code_hash(m, src) for m in runs]

    copy = lambda obj: src / "attnlab" / Path(inspect.getsourcefile(obj)).relative_to(package)  # noqa: E731
    _edit(src / "attnlab/book/page.py", '"""', '"""An edited docstring. ')
    _edit(src / "attnlab/book/page.py", "\nimport ", "\nX_BOOK_ONLY = 1\nimport ")
    step = copy(rank_train.training_step)
    _edit(step, '"""', '"""An edited docstring. ')
    line = f"def {rank_train.training_step.__name__}("
    _edit(step, line, f"# a comment\n{line}")
    assert [code_hash(m, src) for m in runs] == before  # the book, a docstring, a comment

    text = step.read_text()
    opening = text.index('"""', text.index(line))  # the step's docstring, then its first statement
    body = text.index("\n", text.index('"""', opening + 3)) + 1
    step.write_text(text[:body] + "    _ = 0  # an edit to the step\n" + text[body:])
    after = [code_hash(m, src) for m in runs]
    assert after[0] != before[0]
