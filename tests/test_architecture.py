"""What each package may import (docs/architecture.md; the contracts in pyproject.toml)."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


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


def test_the_import_contracts_hold():
    """Every import counts, also one inside a function: the layers (composition root -> audiences ->
    shared pages -> features -> platform -> models -> matching), the two audiences independent of each
    other, matching pure."""
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_every_package_of_the_domain_has_its_layer():
    """A new package under exchange/ must be placed in the layers contract, or it would be unchecked."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["type"] == "layers"]
    named = {name.strip() for layer in layers["layers"] for name in layer.replace(":", "|").split("|")}
    packages = {
        f"exchange.{path.stem if path.suffix else path.name}"
        for path in (ROOT / "exchange").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert packages - named == set()


def test_no_module_is_over_400_lines():
    """One responsibility a module (issue 11): the vectorised scorer is the one exception."""
    exempt = {"matching/batch.py"}
    too_long = {
        str(path.relative_to(ROOT)): n
        for package in ("exchange", "portal", "manufacturer_admin", "matching")
        for path in (ROOT / package).rglob("*.py")
        if (n := len(path.read_text().splitlines())) > 400 and str(path.relative_to(ROOT)) not in exempt
    }
    assert too_long == {}
