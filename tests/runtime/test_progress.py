import pytest
from tqdm.std import tqdm as text_tqdm

from attnlab.runtime.progress import progress


def test_modes(monkeypatch, capsys):
    monkeypatch.setenv("ATTNLAB_PROGRESS", "text")
    bar = progress(range(3), desc="work")
    assert isinstance(bar, text_tqdm) and list(bar) == [0, 1, 2]
    monkeypatch.setenv("ATTNLAB_PROGRESS", "off")
    assert progress(range(2)).disable
    monkeypatch.setenv("ATTNLAB_PROGRESS", "loud")
    with pytest.raises(ValueError, match="^ATTNLAB_PROGRESS must be one of 'auto', 'text', 'off'"):
        progress(range(2))
