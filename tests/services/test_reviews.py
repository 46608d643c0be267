"""The one review engine (services/reviews.py) with its three users: the same steps, the same trail and the same
rules for real-name certification, institution change requests and probation registration."""
import io

import pytest
from sqlalchemy import select

from app.domain import review
from app.domain.errors import DomainError, ValidationFailed
from app.models.workflow import ReviewRecord
from app.services import certification as certs
from app.services import institutions, reviews
from app.services import probation as probations
from tests.services.test_certification import _pending
from tests.services.test_institutions import PDF
from tests.services.test_institutions import _user as user_of
from tests.services.test_probation import submitted


def _certification(app, db):
    return certs.REVIEW, _pending(app, db), "inst_admin"


def _change_request(app, db):
    req = institutions.request_change(user_of(db, "inst_admin"), {"grade": "一级甲等"}, "等级评审", [io.BytesIO(PDF)])
    return institutions.REVIEW, req, "region_admin"


def _probation(app, db):
    return probations.REVIEW, submitted(db), "region_admin"


WORKFLOWS = pytest.mark.parametrize("pending", [_certification, _change_request, _probation],
                                    ids=["certification", "change_request", "probation"])


@WORKFLOWS
def test_every_workflow_stores_the_opinion_stripped(app, db, pending):
    spec, item, reviewer = pending(app, db)
    reviews.decide(spec, user_of(db, reviewer), item.id, "reject", "  请补充材料\n")
    db.session.expire_all()
    item = db.session.get(spec.model, item.id)
    record = reviews.history(spec, item)[-1]
    assert (item.status, item.opinion) == (review.REJECTED, "请补充材料")
    assert (record.action, record.opinion, record.actor_name) == ("reject", "请补充材料", reviewer)
    assert item.reviewer_id == user_of(db, reviewer).id and item.reviewed_at is not None


@WORKFLOWS
def test_a_reject_without_opinion_names_the_field_and_writes_nothing(app, db, pending):
    spec, item, reviewer = pending(app, db)
    before = len(reviews.history(spec, item))
    with pytest.raises(ValidationFailed) as refused:
        reviews.decide(spec, user_of(db, reviewer), item.id, "reject", " \t")
    assert refused.value.of("opinion") == [review.OPINION_REQUIRED]
    db.session.expire_all()
    assert db.session.get(spec.model, item.id).status == review.SUBMITTED
    assert len(reviews.history(spec, db.session.get(spec.model, item.id))) == before


@WORKFLOWS
def test_the_permission_to_review_is_the_declared_query(app, db, pending):
    spec, item, reviewer = pending(app, db)
    assert reviews.may_review(spec, user_of(db, reviewer), item)
    assert [i.id for i in reviews.queue(spec, user_of(db, reviewer), review.SUBMITTED)] == [item.id]
    outsider = user_of(db, "inst2_admin")
    assert not reviews.may_review(spec, outsider, item) and reviews.queue(spec, outsider) == []
    with pytest.raises(DomainError, match="不在您的审核范围内"):
        reviews.decide(spec, outsider, item.id, "approve")
    with pytest.raises(DomainError, match="审核操作只能是通过或驳回"):
        reviews.decide(spec, user_of(db, reviewer), item.id, "withdraw")


@WORKFLOWS
def test_withdraw_then_resubmit_leaves_one_trail(app, db, pending):
    spec, item, reviewer = pending(app, db)
    owner = user_of(db, "newcomer01" if spec is certs.REVIEW else "inst_admin")
    reviews.withdraw(spec, db.session.get(type(item), item.id), owner)
    with pytest.raises(DomainError):  # a draft is not decided (probation drafts are not even visible)
        reviews.decide(spec, user_of(db, reviewer), item.id, "approve")
    reviews.submit(spec, db.session.get(type(item), item.id), owner)
    reviews.decide(spec, user_of(db, reviewer), item.id, "approve")
    trail = db.session.scalars(select(ReviewRecord).where(ReviewRecord.entity == spec.kind,
                                                          ReviewRecord.entity_id == item.id)
                               .order_by(ReviewRecord.id)).all()
    assert [(r.action, r.from_status, r.to_status) for r in trail] == [
        ("submit", "草稿", "待审核"), ("withdraw", "待审核", "草稿"), ("submit", "草稿", "待审核"),
        ("approve", "待审核", "已通过")]


def test_a_refused_approval_of_a_change_request_changes_nothing(db):
    """on_approve re-checks each new value: a name taken meanwhile refuses the whole decision, field named."""
    req = institutions.request_change(user_of(db, "inst_admin"), {"name": "新名称卫生院"}, "更名", [io.BytesIO(PDF)])
    other = db.session.scalar(select(institutions.Institution).where(institutions.Institution.id != req.institution_id))
    other.name = "新名称卫生院"
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        reviews.decide(institutions.REVIEW, user_of(db, "region_admin"), req.id, "approve", "同意")
    assert refused.value.of("name") == ["机构名称“新名称卫生院”已被其他机构使用"]
    db.session.expire_all()
    assert db.session.get(type(req), req.id).status == review.SUBMITTED
    assert [r.action for r in reviews.history(institutions.REVIEW, req)] == ["submit"]
