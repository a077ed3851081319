"""What each package may import (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(package: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_matching_is_pure():
    forbidden = {
        "flask",
        "flask_sqlalchemy",
        "sqlalchemy",
        "exchange",
        "portal",
        "manufacturer_admin",
        "rq",
        "redis",
    }
    assert _imports("matching") & forbidden == set()


def test_domain_does_not_import_the_blueprints_at_module_level():
    """exchange/ may only reach portal/ and manufacturer_admin/ inside functions (registration)."""
    offenders = []
    for path in (ROOT / "exchange").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.split(".")[0] in ("portal", "manufacturer_admin")
            ):
                offenders.append(str(path))
            if isinstance(node, ast.Import) and any(
                a.name.split(".")[0] in ("portal", "manufacturer_admin") for a in node.names
            ):
                offenders.append(str(path))
    assert offenders == []


def test_blueprints_do_not_import_each_other():
    assert "manufacturer_admin" not in _imports("portal")
    assert "portal" not in _imports("manufacturer_admin")
