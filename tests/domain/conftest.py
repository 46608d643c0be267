"""Pure domain tests: no app, no database. This `db` replaces the autouse one of tests/conftest.py here, so a
domain test that reaches for the database fails instead of silently getting one."""
import pytest


@pytest.fixture(autouse=True)
def db():
    yield None
