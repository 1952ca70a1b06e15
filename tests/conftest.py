import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    """Under ``pytest -n N`` (pytest-xdist), each worker and every notebook kernel it starts
    computes on one thread: N pages at once on N cores, instead of each page's threads waiting
    on each other's."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ["ATTNLAB_THREADS"] = "1"
        os.environ["OMP_NUM_THREADS"] = "1"
        import torch

        torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    """The notebooks first, the ones with the most planned training work first, so that with
    several workers the longest pages start at once and the short tests fill in around them."""
    from attnlab.book.plans import PLANNERS, page_work

    def work(item) -> float:
        name = getattr(item, "callspec", None) and item.callspec.params.get("name")
        if item.get_closest_marker("notebook") is None:
            return -1.0
        return page_work(name, "quick").flops if name in PLANNERS else 0.0

    items.sort(key=work, reverse=True)  # stable: ties keep their order


@pytest.fixture
def root() -> Path:
    return ROOT
