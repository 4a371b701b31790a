"""Package structure: the import graph of tsforecast's own modules has no cycle.

Every module is parsed with :mod:`ast` (nothing is imported), and each import of a
tsforecast module counts, at module level and inside functions alike: a lazy import
hides a circle from Python at import time, but the modules still depend on each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tsforecast

ROOT = Path(tsforecast.__file__).parent
PACKAGE = "tsforecast"


def module_names(root: Path = ROOT) -> dict:
    """``{dotted module name: file}`` for every ``.py`` file of the package (``__init__`` names the package)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = (PACKAGE, *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _base_of(name: str, is_package: bool, level: int, module: str | None) -> str:
    """The absolute module a ``from ... import`` names (``level`` dots relative to ``name``)."""
    if level == 0:
        return module or ""
    parts = name.split(".") if is_package else name.split(".")[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([module] if module else []))


def imports_of(name: str, path: Path, modules: dict) -> set:
    """tsforecast modules that ``name`` imports anywhere in its file.

    ``from A import n`` depends on ``A``, and on ``A.n`` too when that is a module.
    Only explicit imports count (importing ``a.b`` also runs ``a/__init__``, but that
    edge exists for every module and says nothing about the layering).
    """
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _base_of(name, is_package, node.level, node.module)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m in modules and m != name}


def import_graph(root: Path = ROOT) -> dict:
    """``{module: sorted list of the tsforecast modules it imports}``."""
    modules = module_names(root)
    return {name: sorted(imports_of(name, path, modules)) for name, path in modules.items()}


def find_cycle(graph: dict) -> list | None:
    """One import cycle as a path ``[a, b, ..., a]``, or None (iterative depth-first search)."""
    state = dict.fromkeys(graph, 0)  # 0 unvisited, 1 on the current path, 2 done
    for start in graph:
        if state[start]:
            continue
        path, stack = [start], [iter(graph[start])]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state[nxt] == 1:
                return path[path.index(nxt):] + [nxt]
            elif state[nxt] == 0:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(graph[nxt]))
    return None


# -- the checker itself, on small made-up graphs and files ----------------------------------
def test_find_cycle_reports_the_path():
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"], "d": []}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b", "c"], "b": ["c"], "c": []}) is None
    assert find_cycle({"a": ["a"]}) == ["a", "a"]


def test_imports_are_resolved_inside_functions_and_relative(tmp_path):
    pkg = tmp_path / PACKAGE
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text("def f():\n    from .sub.lower import g\n")
    (pkg / "sub" / "__init__.py").write_text("from . import lower\n")
    (pkg / "sub" / "lower.py").write_text("import os\nfrom .. import base\nfrom ..base import f\n")
    graph = import_graph(pkg)
    assert graph["tsforecast.base"] == ["tsforecast.sub.lower"]  # lazy, inside a function
    assert graph["tsforecast.sub"] == ["tsforecast.sub.lower"]  # "from . import" in a package
    assert graph["tsforecast.sub.lower"] == ["tsforecast", "tsforecast.base"]
    assert find_cycle(graph) == ["tsforecast.base", "tsforecast.sub.lower", "tsforecast.base"]


# -- the package ---------------------------------------------------------------------------------
def test_package_imports_have_no_cycle():
    graph = import_graph()
    assert "tsforecast.base" in graph and "tsforecast.evaluation.backtest" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_strided_views_and_table_reading_each_live_in_one_module():
    """One windowing module and one table reader: nothing else makes strided views or reads files."""
    import re

    package = Path(__file__).resolve().parents[1] / "tsforecast"
    rules = {r"sliding_window_view|as_strided": "windowing.py", r"read_csv|read_parquet": "tables.py"}
    for pattern, home in rules.items():
        users = sorted(str(p.relative_to(package)) for p in package.rglob("*.py") if re.search(pattern, p.read_text()))
        assert users == [home], f"{pattern} used outside tsforecast/{home}: {users}"
