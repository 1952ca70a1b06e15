"""The book's own machinery, on top of the science (which never imports it).

Modules:
    profiles       the one table of run sizes per notebook and profile
    page           profile banner, claims, glued numbers and results JSON for book pages
    toc            the pages the table of contents lists; the ledger page
    plans          every training page's work at every profile, before anything trains
    execute        running the book's notebooks with papermill (python -m attnlab.book.execute)
    ledger         every claim of every page, with its margin per seed
    lab            JupyterLab saves notebooks without outputs
"""
