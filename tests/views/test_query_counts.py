"""Issue 12 item 9: a page reads the user's permissions and menu once per request (one statement), not once per
menu entry and button, so the staff pages stay within a small, fixed number of SQL statements."""
import contextlib

import pytest
from sqlalchemy import event


@contextlib.contextmanager
def counted(engine):
    statements = []

    def before(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.mark.parametrize("path", ["/people/list/", "/photowall/", "/people/list/?q=张", "/"])
def test_staff_pages_stay_within_ten_statements(db, login_as, path):
    owner = login_as("inst_admin")
    assert owner.get(path).status_code == 200  # warm: the first request of a process loads more
    with counted(db.engine) as statements:
        assert owner.get(path).status_code == 200
    permission_reads = [s for s in statements if "ab_permission_view" in s]
    assert len(permission_reads) == 1, permission_reads
    assert len(statements) <= 10, "\n".join(statements)
