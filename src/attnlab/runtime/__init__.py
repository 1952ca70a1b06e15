"""What both chapters' training runs on, below the science and apart from the book.

Modules:
    seeds          the one seed rule: every random stream derived from a page's seed
    device         picking CPU or GPU; memory budgets; allocator tuning for CPU training
    progress       progress bars: widgets in JupyterLab, text in a terminal
    cache          atomic writes and a results cache keyed by configuration and code
    sweep          lists of training runs, in-process or on a Ray cluster, resumable
    work           what training costs: runs, steps, FLOPs, estimated time
"""
