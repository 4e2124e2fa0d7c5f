"""No import cycles anywhere in govbot: the module graph of bot/, handlers/, storage/ is a DAG.

Every import counts — module level, inside functions and under `if TYPE_CHECKING:` — so a
cycle cannot hide behind a deferred import. The graph is built with `ast` (nothing is
executed), using the same import reader as the layering test.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from tests.test_layers import ROOT, _module_name, from_target

PACKAGES = ("bot", "handlers", "storage")


def imports_of(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The project modules `source` imports.

    `from pkg import name` points at the submodule `pkg.name` when there is one and at
    `pkg` (its `__init__`) only for names that are not modules, which is how import
    graphs are usually drawn (a package is not a dependency of its own submodules).
    """
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = from_target(node, package)
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
    return {name for name in found if name in known and name != module}


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module → the project modules it imports."""
    files = {
        _module_name(path, root): path for pkg in PACKAGES for path in (root / pkg).rglob("*.py")
    }
    known = set(files)
    return {
        module: imports_of(
            path.read_text(encoding="utf-8"), module, path.name == "__init__.py", known
        )
        for module, path in files.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_no_import_cycles() -> None:
    graph = import_graph()
    assert len(graph) > 50, "the graph should cover every module"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


@pytest.mark.parametrize(
    ("graph", "has_cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
        ({"a": {"b"}, "b": {"a"}}, True),
        ({"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": set()}, False),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
    ],
)
def test_cycle_finder(graph: dict[str, set[str]], has_cycle: bool) -> None:
    cycle = find_cycle(graph)
    assert (cycle is not None) == has_cycle
    if cycle:
        assert cycle[0] == cycle[-1]
        assert all(b in graph[a] for a, b in itertools.pairwise(cycle))
