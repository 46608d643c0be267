"""The layering and the three patterns of docs/architecture.md, held by reading the source (no app needed)."""
import ast
import pathlib
import re
import sys

import pytest

APP = pathlib.Path(__file__).resolve().parent.parent / "app"


def _modules(folder):
    return sorted((APP / folder).rglob("*.py"))


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


@pytest.fixture(autouse=True)
def db():  # reads files only
    yield None


def test_views_never_commit_or_roll_back():
    """A service call is one transaction (services/transaction.py); a view only calls it (views/pages.py)."""
    found = [f"{p.relative_to(APP.parent)}:{n}" for p in _modules("views")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"\b(commit|rollback)\b", line)]
    assert found == []


def test_the_domain_imports_only_the_standard_library():
    stdlib = sys.stdlib_module_names
    found = [f"{p.name}: {m}" for p in _modules("domain") for m in _imports(p)
             if m.split(".")[0] not in stdlib and not m.startswith("app.domain")]
    assert found == []


def test_services_do_not_import_the_app_factory_or_views():
    found = [f"{p.relative_to(APP.parent)}: {m}" for p in _modules("services") for m in _imports(p)
             if m in ("app", "app.create_app") or m.startswith("app.views")]
    assert found == []
