"""Every third-party module the package imports is a declared dependency."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
# Import name -> distribution name, where they differ.
DISTRIBUTION = {"sklearn": "scikit-learn", "distributed": "dask"}


def _imported_top_level_modules() -> set:
    names = set()
    for path in (REPO / "tsforecast").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def _declared(requirements) -> set:
    return {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower() for r in requirements}


def test_third_party_imports_are_declared():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = _declared(project["dependencies"])
    optional = {name for reqs in project["optional-dependencies"].values() for name in _declared(reqs)}
    third_party = _imported_top_level_modules() - set(sys.stdlib_module_names) - {"tsforecast", "tomli"}
    undeclared = {m for m in third_party if DISTRIBUTION.get(m, m).lower() not in declared | optional}
    assert not undeclared, f"imported but not in pyproject dependencies: {sorted(undeclared)}"
    assert {"scipy", "joblib"} <= declared  # imported outside optional code paths
    assert "tomli" in declared  # the Python 3.10 fallback of tomllib
