"""Layout (issue 12 item 7): import jobs and attachment batches live in services/imports/, and the worker's app is
built in the start layer (app/worker.py), which the service names only as the RQ entry point. That no service
imports the app factory or the views is tests/test_architecture.py. Pure source reading: no app, no database."""
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SERVICES = ROOT / "app" / "services"


@pytest.fixture(autouse=True)
def db():  # reads files only
    yield None


def test_import_jobs_and_attachment_batches_live_in_services_imports():
    assert (SERVICES / "imports" / "jobs.py").is_file() and (SERVICES / "imports" / "attachments.py").is_file()
    assert not (SERVICES / "import_jobs.py").exists() and not (SERVICES / "attachment_batch.py").exists()


def test_the_worker_app_is_built_in_the_start_layer():
    jobs = (SERVICES / "imports" / "jobs.py").read_text(encoding="utf-8")
    worker = (ROOT / "app" / "worker.py").read_text(encoding="utf-8")
    assert "from app import" not in jobs and "from app import create_app" in worker
    assert 'RQ_FUNC = "app.worker.run_job_rq"' in jobs and "def run_job_rq(" in worker
