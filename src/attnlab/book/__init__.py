"""The book's own machinery, apart from the science.

Modules:
    profiles       the one table of run sizes per notebook and profile
    page           profile banner, claims, glued numbers and results JSON for book pages
    execute        running the book's notebooks with papermill (python -m attnlab.book.execute)
    ledger         every claim of every page, with its margin per seed
    cache          atomic writes and a results cache keyed by configuration
    sweep          lists of training runs, in-process or on a Ray cluster, resumable
    progress       progress bars: widgets in JupyterLab, text in a terminal
    device         picking CPU or GPU; allocator tuning for CPU training
"""
