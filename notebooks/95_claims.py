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
# This build: profile {glue:text}`ledger_profile`, seeds {glue:text}`ledger_seeds`,
# {glue:text}`ledger_claims` claims on {glue:text}`ledger_pages` pages.

# %% tags=["parameters"]
profile = "quick"
seed = 0

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import attnlab
from attnlab.book import ledger
from attnlab.book.execute import toc_notebooks
from attnlab.book.page import format_margin, project_root

page = attnlab.Page("95_claims", profile=profile, seed=seed)
results = ledger.load_results(profile)
seeds = sorted(results)
pages = [n for n in toc_notebooks(project_root()) if n != ledger.LEDGER]
rows = ledger.ledger_rows(results, pages)
page.record("tight_pct", f"{100 * ledger.TIGHT:.0f}%")
page.record("ledger_profile", profile)
page.record("ledger_seeds", ", ".join(map(str, seeds)) or "none")
page.record("ledger_claims", len(rows))
page.record("ledger_pages", len({r.notebook for r in rows}))
missing = [n for n in pages if not any(n in results[s] for s in seeds)]
if missing:
    display(Markdown(f"**Pages without results for this profile** (not executed yet): {', '.join(missing)}"))

# %% [markdown]
# ## The smallest margin on each page
#
# Each bar is one claim's worst margin over the seeds (log scale); exact claims are not drawn.
# The dashed line is the {glue:text}`tight_pct` below which a claim counts as too tight.

# %%
drawn = [r for r in rows if r.worst_margin is not None]
fig, ax = plt.subplots(figsize=(7, 0.22 * len(drawn) + 1.2))
labels = [f"{r.notebook} #{r.index + 1}" for r in drawn]
margins = np.array([max(r.worst_margin, 1e-4) for r in drawn])
colors = ["tab:red" if r.status(seeds) != "holds" else "tab:blue" for r in drawn]
ax.barh(np.arange(len(drawn)), margins, color=colors)
ax.axvline(ledger.TIGHT, color="k", ls="--", lw=1)
ax.set_xscale("log")
ax.set_yticks(np.arange(len(drawn)), labels, fontsize=7)
ax.invert_yaxis()
ax.set_xlabel("worst margin over seeds (relative to the bound)")
ax.set_title(f"claims of profile {profile}, seeds {', '.join(map(str, seeds))}")
fig.tight_layout()
page.figure("fig_claim_margins", fig)

# %%
per_page = ledger.smallest_margins(rows)
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
