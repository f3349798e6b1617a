"""pb/tally stays pure: standard library only, no web framework, no database, no app code."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

TALLY = Path(__file__).resolve().parents[3] / "pb" / "tally"
FORBIDDEN = ("flask", "sqlalchemy", "werkzeug")


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against pb.tally
                package = "pb.tally" if node.level == 1 else "pb"
                names.append(f"{package}.{node.module}" if node.module else package)
            else:
                names.append(node.module or "")
    return names


MODULES = sorted(TALLY.glob("*.py"))


def test_the_tally_package_has_modules():
    assert {p.name for p in MODULES} >= {"__init__.py", "model.py", "pabulib.py", "rules.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_tally_module_imports_only_the_standard_library_and_itself(path):
    for name in imported_modules(path):
        top = name.split(".")[0]
        assert top not in FORBIDDEN, f"{path.name} imports {name}"
        if top == "pb":
            assert name == "pb.tally" or name.startswith("pb.tally."), (
                f"{path.name} imports {name} from outside pb.tally"
            )
        else:
            assert top in sys.stdlib_module_names or top == "__future__", (
                f"{path.name} imports {name}, which is not in the standard library"
            )


def test_the_check_itself_sees_forbidden_and_relative_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from flask import g\nfrom .. import models\nimport pb.services.x\n")
    assert imported_modules(sample) == ["flask", "pb", "pb.services.x"]
