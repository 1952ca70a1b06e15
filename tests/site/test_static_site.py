"""Checks of the built site from its files: pages, links, images, math, run cards."""

import re
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from attnlab.book.toc import toc_notebooks
from tests.conftest import ROOT
from tests.site.conftest import page_paths, parse

EXTERNAL = ("http://", "https://", "mailto:", "javascript:", "data:", "//")


@pytest.mark.parametrize("page", page_paths())
def test_page_exists(site, page):
    assert (site / page).is_file(), page


def site_pages(site):
    """Every HTML page of the site (not the theme's template fragments under _static)."""
    return [p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts]


def test_internal_links_and_images_resolve(site):
    broken = []
    for html in site_pages(site):
        links = parse(html)
        for target in links.targets:
            if target.startswith(EXTERNAL) or target.startswith("#"):
                continue
            path = unquote(urlsplit(target).path)
            if not path:
                continue
            resolved = (html.parent / path).resolve()
            if not resolved.exists():
                broken.append(f"{html.relative_to(site)} -> {target}")
        for src in links.images:
            if src.startswith("data:"):
                continue
            assert not src.startswith(EXTERNAL), f"{html.name}: image from outside the site {src}"
            img = (html.parent / unquote(urlsplit(src).path)).resolve()
            if not img.is_file() or img.stat().st_size == 0:
                broken.append(f"{html.relative_to(site)} image {src}")
    assert not broken, "\n".join(broken[:50])


def test_no_script_or_style_from_outside_the_site(site):
    for html in site_pages(site):
        for src in parse(html).scripts:
            assert not src.startswith(EXTERNAL), f"{html.relative_to(site)} loads {src}"


def test_mathjax_is_served_locally(site):
    assert (site / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()
    text = (site / "executed" / "00_attention.html").read_text()
    assert re.search(r'src="\.\./_static/mathjax/tex-mml-chtml\.js', text)


def test_no_execution_error_reports(site):
    reports = site / "reports"
    assert not reports.exists() or not any(reports.iterdir()), sorted(reports.iterdir())
    for name in toc_notebooks(ROOT):
        nb = nbformat.read(ROOT / "executed" / f"{name}.ipynb", as_version=4)
        errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"{name}: {errors[0].ename}: {errors[0].evalue}"


@pytest.mark.parametrize("name", toc_notebooks(ROOT))
def test_notebook_page_shows_profile_run_time_and_figures(site, name):
    text = (site / "executed" / f"{name}.html").read_text()
    assert re.search(r"Profile\s*<code[^>]*>\s*<span[^>]*>\s*(quick|laptop|paper)", text) or re.search(
        r"Profile <code[^>]*>(quick|laptop|paper)", text
    ), "profile banner missing"
    assert "Run card." in text and re.search(r"run time <strong>[\d.]+ s</strong>", text), "run card missing"
    assert "Traceback" not in text


def test_search_index_covers_the_notebooks(site):
    index = (site / "searchindex.js").read_text()
    for name in toc_notebooks(ROOT):
        assert f"executed/{name}" in index


@pytest.mark.parametrize("name", toc_notebooks(ROOT))
def test_notebook_page_offers_its_ipynb_for_download(site, name):
    text = (site / "executed" / f"{name}.html").read_text()
    assert f'href="../_sources/executed/{name}.ipynb"' in text
    nb = nbformat.read(site / "_sources" / "executed" / f"{name}.ipynb", as_version=4)
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "download carries the outputs"
