"""The one transaction of a service call (services/transaction.py) and the page helper's refusal (views/pages.py)."""
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm.exc import StaleDataError

from app.domain.errors import DomainError, EditConflict, FieldError, ValidationFailed
from app.models.org import Institution
from app.services.transaction import active, transaction, transactional
from app.views.pages import Errors, attempt


def _inst(db):
    return db.session.scalars(select(Institution).order_by(Institution.id)).first()


def _stored_phone(db, inst_id):
    with db.engine.connect() as conn:  # another connection: what was committed
        return conn.execute(text("SELECT phone FROM institution WHERE id = :i"), {"i": inst_id}).scalar()


def test_a_transaction_commits_once_at_the_end_and_a_nested_one_joins_it(db):
    inst = _inst(db)

    @transactional
    def inner(value):
        assert active()
        inst.phone = value

    with transaction():
        inner("027-1111")
        assert _stored_phone(db, inst.id) != "027-1111"  # the nested call did not commit
    assert not active()
    assert _stored_phone(db, inst.id) == "027-1111"


def test_a_refusal_anywhere_rolls_back_everything_written_before_it(db):
    inst = _inst(db)
    before = _stored_phone(db, inst.id)

    @transactional
    def save(value):
        inst.phone = value
        db.session.flush()
        raise ValidationFailed([("phone", "电话格式不正确")])

    with pytest.raises(ValidationFailed) as info:
        save("027-2222")
    assert info.value.of("phone") == ["电话格式不正确"]
    assert _stored_phone(db, inst.id) == before
    assert db.session.get(Institution, inst.id).phone == before  # the session forgot it too
    assert not active()


def test_a_lost_race_at_commit_becomes_the_edit_conflict(db):
    inst = _inst(db)
    opened = inst.version
    with db.engine.begin() as conn:  # another user saves first
        conn.execute(update(Institution.__table__).where(Institution.id == inst.id)
                     .values(version=opened + 1, phone="027-3333"))
    with pytest.raises(EditConflict):
        with transaction(conflict=(inst, opened)):
            inst.phone = "027-4444"
    with pytest.raises(StaleDataError):  # without `conflict` the database's refusal is passed on as is
        inst = _inst(db)
        with db.engine.begin() as conn:
            conn.execute(update(Institution.__table__).where(Institution.id == inst.id)
                         .values(version=inst.version + 1))
        with transaction():
            inst.phone = "027-5555"


def test_validation_failed_keeps_each_field_with_its_message():
    exc = ValidationFailed(["整体问题", ("name", "姓名不能为空"), FieldError("phone", "电话格式不正确")])
    assert exc.errors == ["整体问题", "姓名不能为空", "电话格式不正确"]
    assert exc.of("name") == ["姓名不能为空"]
    errors = Errors(exc)
    assert list(errors) == exc.errors
    assert errors.of("phone") == ["电话格式不正确"]
    assert errors.general(shown={"name", "phone"}) == ["整体问题"]
    assert errors.general() == exc.errors


def test_attempt_turns_a_refusal_into_errors_and_leaves_nothing_in_the_session(db):
    inst = _inst(db)
    before = inst.phone

    def save():
        inst.phone = "027-6666"  # written before the check (no transaction): the helper forgets it
        raise DomainError("电话格式不正确")

    value, errors = attempt(save)
    assert value is None and list(errors) == ["电话格式不正确"]
    assert db.session.get(Institution, inst.id).phone == before
    assert attempt(lambda: 7) == (7, Errors())
