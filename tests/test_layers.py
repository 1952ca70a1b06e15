"""The package's layers point one way and its imports have no cycle.

Layers, bottom to top: the shared pieces (``_checks``, ``attention``, ``runtime``), the science
(``rank``, ``composition``), the book. A module imports only from its own layer or below; the
graph counts every import, those inside functions included.
"""

import ast
from pathlib import Path

import attnlab

PACKAGE = Path(attnlab.__file__).parent
LAYERS = (
    ("attnlab._checks", "attnlab.attention", "attnlab.runtime"),
    ("attnlab.rank", "attnlab.composition"),
    ("attnlab.book",),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Every module of the package and the package's modules it imports."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    targets.add(sub if sub in modules else node.module)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _layer(module: str) -> int | None:
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None  # the top package, which names the book's objects lazily


def test_every_module_has_a_layer():
    assert [m for m in import_graph() if _layer(m) is None] == ["attnlab"]


def test_imports_point_down():
    wrong = [
        f"{m} imports {t}"
        for m, targets in import_graph().items()
        for t in sorted(targets)
        if _layer(m) is not None and _layer(t) is not None and _layer(t) > _layer(m)
    ]
    assert not wrong, wrong


def test_no_import_cycle():
    graph = {m: {t for t in ts if t != "attnlab"} for m, ts in import_graph().items()}
    state: dict[str, int] = {}  # 1: on the path, 2: done
    cycles: list[list[str]] = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append([*path[path.index(t) :], t])
            elif t not in state:
                visit(t, [*path, t])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, cycles
