"""Small Sphinx fixes for the attnlab site.

- sphinx-thebe (pulled in by Jupyter Book 1.x) registers its inline configuration script
  twice, which makes browsers log "Identifier 'THEBE_JS_URL' has already been declared" on
  every page; drop repeated script entries from each page's context.
- MathJax (served from the site) is loaded on every page.
- Notebook pages are built from their executed copies (``executed/NAME.ipynb``, not in the
  repository); their "edit" button points at the source one edits, ``notebooks/NAME.py``.
"""

from __future__ import annotations


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, str]] = set()
    unique = []
    for script in scripts:
        attributes = getattr(script, "attributes", {}) or {}
        key = (str(getattr(script, "filename", script) or ""), str(attributes.get("body", "")))
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    scripts[:] = unique  # in place: Sphinx and extensions keep appending to this very list


def _edit_notebook_source(app, pagename, templatename, context, doctree) -> None:
    if not pagename.startswith("executed/"):
        return
    repo = (app.config.html_theme_options or {}).get("repository_url", "").rstrip("/")
    branch = (app.config.html_theme_options or {}).get("repository_branch", "") or "main"
    if repo:
        name = pagename.removeprefix("executed/")
        context["edit_page_url_template"] = f"{repo}/edit/{branch}/notebooks/{name}.py{{{{ file_name[:0] }}}}"


def setup(app):
    # Load the site's MathJax on every page rather than guessing per page which ones hold
    # math (glued text and notebook outputs can carry math the guess misses).
    app.set_html_assets_policy("always")
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("html-page-context", _edit_notebook_source)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
