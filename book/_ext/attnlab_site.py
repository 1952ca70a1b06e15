"""Small Sphinx fixes for the attnlab site.

- sphinx-thebe (pulled in by Jupyter Book 1.x) registers its inline configuration script
  twice, which makes browsers log "Identifier 'THEBE_JS_URL' has already been declared" on
  every page; drop repeated script entries from each page's context.
- MathJax (served from the site) is loaded on every page.
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


def setup(app):
    # Load the site's MathJax on every page rather than guessing per page which ones hold
    # math (glued text and notebook outputs can carry math the guess misses).
    app.set_html_assets_policy("always")
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
