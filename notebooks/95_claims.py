# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Claims ledger
#
# Every page of this book ends by asserting its results: a value it measured or computed,
# compared with a bound (`page.claim(statement, value, op, bound)`). A claim that does not hold
# raises and fails the page, the tests and the build. This page collects every claim of every
# page from the results each page wrote when it ran, so that one table shows what the book
# asserts and **how safely**: the *margin* is how far the value is from failing, relative to the
# bound (a margin of 50% means the value could move by half the bound before the claim fails;
# `exact` marks claims of exact equality, such as "no mismatch on any input", which have none).
#
# Seeds: the site is built with seed 0. `make verify` re-executes every page with seeds 0, 1
# and 2 (`SEEDS="0 1 2 3"` for more) into results kept apart by seed, then rebuilds this page,
# which then shows each claim's value and margin per seed. A claim whose worst margin across
# the seeds is under {glue:text}`tight_pct` is marked `tight`: its bound was not chosen from the
# spread of the measurements, and `make verify` fails on it.
#
# A margin is relative to the bound, so read it with the quantity in mind. Where a quantity has a
# ceiling, a small margin can still be a clear result: an accuracy of 0.99 against a bound of
# 0.85 is 17%, since no accuracy can exceed 1, and an angle near its 180 degree maximum reads the
# same way. Where the bound is tiny (an error below $10^{-12}$), any value far below it shows a
# margin near 100%, however many orders of magnitude it clears.
#
# This build: profile {glue:text}`ledger_profile`; results found for
# {glue:text}`ledger_seed_count` (seeds {glue:text}`ledger_seeds`); {glue:text}`ledger_claims`
# claims on {glue:text}`ledger_pages` pages. Results written by other versions of the package's
# code are *stale*: they are listed below and left out of every margin.

# %% tags=["parameters"]
profile = "quick"
seed = 0

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import attnlab
from attnlab.book import ledger
from attnlab.book.page import format_margin, project_root, table_cell
from attnlab.book.toc import LEDGER, toc_notebooks

page = attnlab.Page("95_claims", profile=profile, seed=seed)
found = ledger.load_results(profile)
stale = ledger.stale_results(found)  # computed by other package sources
results = ledger.without(found, stale)
seeds = sorted(s for s in results if results[s])
pages = [n for n in toc_notebooks(project_root()) if n != LEDGER]
rows = ledger.ledger_rows(results, pages)
page.record("tight_pct", f"{100 * ledger.TIGHT:.0f}%")
page.record("ledger_profile", profile)
page.record("ledger_seeds", ", ".join(map(str, seeds)) or "none")
page.record("ledger_seed_count", f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''}")
page.record("ledger_claims", len(rows))
page.record("ledger_pages", len({r.notebook for r in rows}))
missing = [n for n in pages if not any(n in found[s] for s in found)]
if missing:
    display(Markdown(f"**Pages without results for this profile** (not executed yet): {', '.join(missing)}"))
if stale:
    display(
        Markdown(
            "**Stale results, left out**: "
            + "; ".join(f"seed {s}: {', '.join(names)}" for s, names in sorted(stale.items()))
        )
    )

# %% [markdown]
# ## The smallest margin on each page
#
# Each bar is one page's smallest margin: the worst claim of the page, over every seed found
# (log scale; a page whose claims are all exact has no bar). The dashed line is the
# {glue:text}`tight_pct` below which a claim counts as too tight; margins above 10 (1000%) are
# drawn at 10.

# %%
per_page = ledger.smallest_margins(rows)
drawn = {n: m for n, m in per_page.items() if m is not None}
fig, ax = plt.subplots(figsize=(7, 0.3 * len(drawn) + 1.4))
margins = np.clip(np.array(list(drawn.values()), dtype=float), 1e-3, 10.0)
colors = ["tab:red" if m < ledger.TIGHT else "tab:blue" for m in drawn.values()]
ax.barh(np.arange(len(drawn)), margins, color=colors)
ax.axvline(ledger.TIGHT, color="k", ls="--", lw=1)
ax.set_xscale("log")
ax.set_xlim(right=10.0)
ax.set_yticks(np.arange(len(drawn)), list(drawn), fontsize=8)
ax.invert_yaxis()
ax.set_xlabel("smallest margin over the page's claims and seeds (relative to the bound)")
ax.set_title(f"profile {profile}, {len(seeds)} seed(s): {', '.join(map(str, seeds))}")
fig.tight_layout()
page.figure("fig_claim_margins", fig)

# %% [markdown]
# ## The weakest claims
#
# The claims with the smallest worst margins, by name: the first places to look when a change
# moves a number.

# %%
display(
    Markdown(
        "| page | claim | bound | worst margin |\n|---|---|---|---|\n"
        + "\n".join(
            f"| {r.notebook} | {table_cell(r.statement)} | {r.op} {r.bound:.4g} | {format_margin(r.worst_margin)} |"
            for r in ledger.weakest(rows, 8)
        )
    )
)

# %%
display(
    Markdown(
        "| page | claims | smallest margin |\n|---|---|---|\n"
        + "\n".join(
            f"| {n} | {sum(r.notebook == n for r in rows)} | {format_margin(m)} |"
            for n, m in per_page.items()
        )
    )
)

# %% [markdown]
# ## Every claim

# %%
display(Markdown(ledger.ledger_markdown(rows, seeds)))

# %% [markdown]
# This page makes no claims of its own: it reports the others'. `python -m attnlab.book.ledger
# --profile quick --seeds 0 1 2` prints the same ledger in a terminal and exits non-zero when a
# claim fails, is missing for a seed, or is tight.

# %%
page.finish()
