"""Layers (issue 12 item 7): services never import upwards — not the start layer (`app` itself for create_app,
app/cli.py, app/worker.py) nor the views. The import worker's app is built in app/worker.py and handed to the service.
Pure source reading: no app, no database."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVICES = ROOT / "app" / "services"
UPWARD = ("app.views", "app.cli", "app.worker")


def _imports(path: pathlib.Path):
    """(line, module) of every import in a file, `from app import x` given as app.x."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}" if node.module == "app" else node.module


def _upward(module: str) -> bool:
    return module in ("app", "app.create_app") or any(module == m or module.startswith(m + ".") for m in UPWARD)


def test_no_service_imports_the_start_layer_or_the_views():
    files = sorted(SERVICES.rglob("*.py"))
    assert SERVICES / "imports" / "jobs.py" in files and len(files) > 20
    found = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for path in files for line, module in _imports(path) if _upward(module)]
    assert found == []


def test_the_check_sees_an_upward_import(tmp_path):
    """The walk above would catch each way of writing it (a check that finds nothing must be able to)."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from app import create_app\n    import app.views.people\n"
                      "    from app.worker import rq_worker\n    from app.extensions import db\n", encoding="utf-8")
    assert [m for _, m in _imports(sample) if _upward(m)] == ["app.create_app", "app.views.people", "app.worker"]


def test_import_jobs_and_attachment_batches_live_in_services_imports():
    assert (SERVICES / "imports" / "jobs.py").is_file() and (SERVICES / "imports" / "attachments.py").is_file()
    assert not (SERVICES / "import_jobs.py").exists() and not (SERVICES / "attachment_batch.py").exists()
