"""Editing in JupyterLab, as a reader does it, in headless Chromium (Debian's, driven by Playwright).

``make lab`` on a free port; open one small page's ``.py`` source as a notebook, Run All, save.
Then the pair is byte for byte git's copy (the ``.ipynb`` twin is written without outputs), the pair test
passes on what git would commit, the markdown is rendered by jupyterlab-myst with no raw MyST
role left (``{glue:text}`` shows the number's name there, listed with its value in the banner
under the page's first cell), and the banner lists the numbers the run computed.

The lab runs with its own results, workspace and settings folders under a temporary folder, so
the book's ``_build/results`` and the reader's JupyterLab state are left alone; the pair's files
are put back as they were if anything goes wrong.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests import test_environment  # a module: its tests are not collected here again
from tests.conftest import ROOT
from tests.site.test_browser import CHROMIUM_FLAGS

PAGE = "00_attention"  # one small page: runs in about 30 s on two busy cores
PAIR = [ROOT / "notebooks" / f"{PAGE}.py", ROOT / "notebooks" / f"{PAGE}.ipynb"]
EXPOSE_APP = "--LabApp.expose_app_in_browser=True"  # window.jupyterapp: run and save by command
RAW_ROLE = re.compile(r"\{(glue|cite|eval|numref|ref|doc|math)(:[a-z]+)?\}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_committed() -> dict[str, bool]:
    """For each file of the pair: does the working tree hold exactly git's copy (the index's)?

    Byte equality, not ``git status``: git status trusts the index's recorded file size, so a
    notebook once added with outputs in the working tree (the filter stripped them) shows as
    modified until added again, whatever it holds.
    """
    out = {}
    for path in PAIR:
        rel = path.relative_to(ROOT).as_posix()
        blob = subprocess.run(["git", "show", f":{rel}"], cwd=ROOT, capture_output=True)
        out[rel] = blob.returncode == 0 and blob.stdout == path.read_bytes()
    return out


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """``make lab`` on a free port with a random token; killed (with its kernels) at the end."""
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        pytest.skip("Chromium is not installed (make test installs Debian's chromium)")
    tmp = tmp_path_factory.mktemp("lab")
    port, token = _free_port(), secrets.token_hex(16)
    saved = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in PAIR}
    env = {
        **os.environ,
        "ATTNLAB_LAB_BROWSER": "False",
        "JUPYTER_TOKEN": token,
        "ATTNLAB_RESULTS": str(tmp / "results"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
    }
    log = (tmp / "lab.log").open("w")
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_PORT={port}", f"LAB_ARGS={EXPOSE_APP}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the server and its kernels end together
    )
    url = f"http://127.0.0.1:{port}"
    lab_log = lambda: (tmp / "lab.log").read_text()[-3000:]
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"make lab exited with {proc.returncode}:\n{lab_log()}")
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start:\n{lab_log()}")
                time.sleep(0.5)
        yield url, token
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        for path, (data, mtime) in saved.items():  # the reader's files as they were, whatever happened
            if path.read_bytes() != data:
                path.write_bytes(data)
                os.utime(path, ns=(mtime, mtime))


NOTEBOOK_JS = "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
KERNEL_IDLE_JS = """() => { const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(w.content && w.content.widgets.length && k && k.status === 'idle'); }"""
# Every code cell has run (or one failed: then the run stopped) and the kernel is idle again.
RAN_JS = """() => { const w = window.jupyterapp.shell.currentWidget;
  const cells = w.content.widgets.map(c => c.model).filter(m => m.type === 'code');
  const failed = cells.some(m => Array.from({length: m.outputs.length}, (_, i) => m.outputs.get(i))
                                   .some(o => o.type === 'error'));
  const done = cells.every(m => m.executionCount !== null);
  return (failed || done) && w.sessionContext.session.kernel.status === 'idle'; }"""
ERRORS_JS = """() => window.jupyterapp.shell.currentWidget.content.widgets.map(c => c.model)
  .filter(m => m.type === 'code')
  .flatMap(m => Array.from({length: m.outputs.length}, (_, i) => m.outputs.get(i)))
  .filter(o => o.type === 'error').map(o => JSON.stringify(o.toJSON()).slice(0, 2000))"""
MARKDOWN_JS = """() => Array.from(document.querySelectorAll('.jp-MarkdownCell')).map(c => {
  const r = c.querySelector('.myst'); return r ? r.textContent : null; })"""


def test_run_all_and_save_keeps_the_tree_clean_and_the_prose_readable(lab):
    url, token = lab
    before = _as_committed()
    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/lab/tree/notebooks/{PAGE}.py?token={token}")
            page.wait_for_function(NOTEBOOK_JS, timeout=90_000)
            page.wait_for_function(KERNEL_IDLE_JS, timeout=90_000, polling=250)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_function(RAN_JS, timeout=300_000, polling=500)
            assert page.evaluate(ERRORS_JS) == [], "the page failed in JupyterLab"
            page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
            page.wait_for_function(
                "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=60_000
            )
            markdown = page.evaluate(MARKDOWN_JS)
            banner = page.evaluate(
                "() => Array.from(window.jupyterapp.shell.currentWidget.content.node"
                ".querySelectorAll('.jp-OutputArea-output')).map(e => e.textContent)"
                ".filter(t => t.includes('In JupyterLab'))"
            )
            page.evaluate(  # the screenshot shows the banner
                "() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
                ".find(e => e.textContent.includes('In JupyterLab')).scrollIntoView()"
            )
            (ROOT / "_build" / "screenshots").mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ROOT / "_build" / "screenshots" / "jupyterlab.png"))
        finally:
            browser.close()

    # What git would commit: the pair as it was, in step, without outputs.
    after = _as_committed()
    changed = [rel for rel, same in before.items() if same and not after[rel]]
    assert not changed, f"saving in JupyterLab left files unlike git's copies: {changed}"
    test_environment.test_notebook_pair_in_sync_and_clean(PAGE)
    # The prose as jupyterlab-myst renders it: every markdown cell, no raw role.
    assert markdown and None not in markdown, "markdown cells not rendered by jupyterlab-myst"
    raw = [m.group(0) for text in markdown for m in RAW_ROLE.finditer(text)]
    assert not raw, f"raw MyST roles in the rendered markdown: {raw[:5]}"
    # The banner under the first cell: every number the prose names, with its value.
    assert len(banner) == 1 and "computed:" in banner[0], banner
    assert "cfg_d = " in banner[0] and "l1_slope = " in banner[0] and "runtime = " in banner[0], banner
