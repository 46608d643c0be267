"""The one unit of work of a service call (docs/architecture.md "Transactions").

A service that writes is decorated with `@transactional` (or opens `with transaction():`): it validates everything
first, raising ValidationFailed with every problem, then writes; the transaction commits once at the end, or rolls
back on any exception, so the caller (a view, the import, the CLI) never commits or rolls back. A transactional
service called from another joins its transaction: only the outermost one commits.

    @transactional
    def rename(institution_id, dept_id, name):
        dept = get(institution_id, dept_id) or not_found()
        problems = name_problems(name)
        if problems:
            raise ValidationFailed(problems)   # nothing written, the session is rolled back
        dept.name = name                        # committed when rename returns

A save that checks a form's version passes `conflict=(obj, opened_version)`: a concurrent save that won the race
between the check and the commit (StaleDataError) becomes the same EditConflict as the check's.
"""
import contextlib
import functools

from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db

_DEPTH = "transaction_depth"


def active() -> bool:
    """True inside a transaction opened by `transaction()` (a nested one joins it)."""
    return bool(db.session.info.get(_DEPTH))


@contextlib.contextmanager
def transaction(*, conflict=None):
    """Commit what the block wrote, or roll it all back on any exception. `conflict`: (obj, base version[, labels
    [, shown]]) for services.concurrency.conflict on a lost race."""
    session = db.session
    info = session.info
    if info.get(_DEPTH):  # joined: the outermost transaction commits or rolls back
        info[_DEPTH] += 1
        try:
            yield session
        finally:
            info[_DEPTH] -= 1
        return
    info[_DEPTH] = 1
    try:
        yield session
        session.commit()
    except StaleDataError:
        session.rollback()
        if conflict is None:
            raise
        from app.services import concurrency

        raise concurrency.conflict(*conflict) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        info[_DEPTH] = 0


def transactional(fn):
    """Run the whole function in one transaction (see the module's docstring)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with transaction():
            return fn(*args, **kwargs)

    return wrapper


def discard():
    """Forget what an abandoned unit of work left in the session (a refused form whose service wrote before it
    checked). The page helper calls it after every refusal, so a later query cannot flush half a change."""
    session = db.session()  # the scoped_session's Session: in_transaction() is not proxied
    if session.new or session.dirty or session.deleted or session.in_transaction():
        session.rollback()
