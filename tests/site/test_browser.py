"""The built site as a reader sees it, in headless Chromium (Debian's, driven by Playwright).

Every page is opened from a server on 127.0.0.1: no console errors, every image loaded, math
typeset by the site's own MathJax with no TeX left raw, no request leaving 127.0.0.1, and the
notebook pages show their profile and run time. Search finds the chapters, and screenshots of
the home page and one page per chapter go to _build/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from attnlab.book.toc import toc_notebooks
from tests.conftest import ROOT
from tests.site.conftest import page_paths

SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# Raw TeX that survives outside code cells means MathJax did not typeset it.
RAW_TEX_JS = r"""() => {
  const main = document.querySelector('main') || document.body;
  const clone = main.cloneNode(true);
  clone.querySelectorAll('pre, code, .highlight, mjx-container, script, style, .cell_input, .sd-card, nav')
       .forEach(e => e.remove());
  const text = clone.textContent;
  const hits = text.match(/\$\$|\\(frac|mathbb|langle|rangle|beta|sum|le|ge|top|mathrm)\b/g);
  return hits ? hits.slice(0, 5) : [];
}"""


# What a published page must never show outside its code (cell outputs count as shown): a
# builder's local path, markup that did not render (glue roles, a table left as text) or a
# NumPy repr.
LEFTOVERS = ("PosixPath(", "/root/", "/home/", "{glue", "| # |", "np.float64(")
PROSE_TEXT_JS = r"""() => {
  const clone = (document.querySelector('main') || document.body).cloneNode(true);
  clone.querySelectorAll('.cell_input, script, style').forEach(e => e.remove());
  clone.querySelectorAll('pre, code, .highlight').forEach(e => e.closest('.cell_output') || e.remove());
  return clone.textContent;
}"""
RUN_CARD_TABLES_JS = r"""() => Array.from(document.querySelectorAll('main table'))
  .filter(t => Array.from(t.querySelectorAll('thead th')).map(th => th.innerText.trim()).join('|')
               === '#|claim|value vs bound|margin|status').length"""


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail(
            "Chromium is not installed, so the site cannot be checked in a browser. "
            "`make test` installs Debian's chromium with apt-get; install it by hand with "
            "`apt-get install chromium` where that step cannot run."
        )
    return path


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


@pytest.fixture(scope="module")
def server(site) -> Iterator[str]:
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


class Visit:
    """One page load with everything the checks need recorded."""

    def __init__(self, browser, server: str, path: str) -> None:
        self.console_errors: list[str] = []
        self.outside: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        host = urlsplit(server).netloc

        def guard(route):
            url = route.request.url
            if urlsplit(url).netloc != host and not url.startswith(("data:", "blob:")):
                self.outside.append(url)
                route.abort()
            else:
                route.continue_()

        self.page.route("**/*", guard)
        self.page.goto(f"{server}/{path}", wait_until="networkidle")
        self.page.wait_for_function(
            "() => !window.MathJax || (MathJax.startup && MathJax.startup.promise)", timeout=20_000
        )
        self.page.evaluate("() => window.MathJax ? MathJax.startup.promise.then(() => true) : true")

    def close(self) -> None:
        self.page.close()


@pytest.mark.parametrize("path", page_paths())
def test_page_renders_cleanly(browser, server, path):
    visit = Visit(browser, server, path)
    try:
        page = visit.page
        assert not visit.console_errors, visit.console_errors
        assert not visit.outside, f"requests left 127.0.0.1: {visit.outside}"
        broken = page.evaluate(
            "() => Array.from(document.images)"
            ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
        )
        assert not broken, f"images not loaded: {broken}"
        assert page.evaluate(RAW_TEX_JS) == [], "TeX left untypeset"
        has_math = page.evaluate("() => document.querySelectorAll('.math, mjx-container').length")
        if has_math:
            assert page.evaluate("() => document.querySelectorAll('mjx-container').length") > 0
            assert page.evaluate("() => window.MathJax && MathJax.version.startsWith('3')")
        prose = page.evaluate(PROSE_TEXT_JS)
        left = [bit for bit in LEFTOVERS if bit in prose]
        assert not left, f"the page shows {left} outside its code"
        if path.startswith("executed/"):
            text = page.inner_text("main")
            assert "Profile" in text and "Run card." in text and "run time" in text
            assert page.evaluate(RUN_CARD_TABLES_JS) == 1, "the run card is not one HTML table"
    finally:
        visit.close()


def _chapter_pages() -> dict[str, str]:
    """The first page of each chapter, by chapter prefix of the notebook name."""
    firsts: dict[str, str] = {}
    for name in toc_notebooks(ROOT):
        firsts.setdefault(name[0], name)
    return firsts


def test_screenshots_of_home_and_each_chapter(browser, server):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    targets = {"home": "index.html"} | {
        f"chapter_{prefix}": f"executed/{name}.html" for prefix, name in _chapter_pages().items()
    }
    second = [n for n in toc_notebooks(ROOT) if n.startswith("1") and n not in _chapter_pages().values()]
    if second:  # the rank chapter's second page, to see a figure-heavy theory page
        targets["chapter_1_second"] = f"executed/{second[0]}.html"
    for label, path in targets.items():
        visit = Visit(browser, server, path)
        try:
            out = SCREENSHOTS / f"{label}.png"
            visit.page.screenshot(path=str(out), full_page=True)
            assert out.stat().st_size > 10_000, f"{out} looks empty"
        finally:
            visit.close()


def test_home_page_shows_key_figures(browser, server):
    visit = Visit(browser, server, "index.html")
    try:
        n = visit.page.evaluate("() => Array.from(document.images).filter(i => i.naturalWidth > 200).length")
        assert n >= len(_chapter_pages()), f"home page shows {n} figures"
    finally:
        visit.close()


SEARCHES = {"rank": "executed/1", "composition": "executed/2", "hardmax": "executed/00_attention"}


@pytest.mark.parametrize("query, expected", SEARCHES.items())
def test_search_finds_the_chapter(browser, server, query, expected):
    if not any(n.startswith(expected.split("/")[1]) for n in toc_notebooks(ROOT)):
        pytest.skip(f"no page {expected}* in this book yet")
    visit = Visit(browser, server, f"search.html?q={query}")
    try:
        # Sphinx appends results one by one (5 ms apart), API objects first; read the
        # list only once its status line says the search has finished.
        visit.page.wait_for_function(
            "() => /Search finished|did not match/.test("
            "document.querySelector('.search-summary')?.innerText ?? '')",
            timeout=60_000,
        )
        hrefs = visit.page.eval_on_selector_all(
            "ul.search li a", "els => els.map(e => e.getAttribute('href'))"
        )
        assert any(expected in h for h in hrefs), hrefs[:10]
    finally:
        visit.close()


def test_screenshot_folder_is_under_build():
    assert Path(SCREENSHOTS).is_relative_to(ROOT / "_build")
