from html.parser import HTMLParser
from pathlib import Path

import pytest

from attnlab.book.toc import toc_notebooks
from tests.conftest import ROOT

SITE = ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").exists():
        pytest.fail("no built site at _build/html: run `make html` (or `make book`) first")
    return SITE


def page_paths() -> list[str]:
    """Site-relative paths of every page the table of contents lists."""
    pages = [
        "index.html",
        "book/intro.html",
        "book/running.html",
        "book/api.html",
        "book/bibliography.html",
    ]
    return pages + [f"executed/{name}.html" for name in toc_notebooks(ROOT)]


class Links(HTMLParser):
    """Collects href/src targets and image sources of one HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.images: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "src"):
            if a.get(key):
                self.targets.append(a[key])
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"])


def parse(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(errors="replace"))
    return links
