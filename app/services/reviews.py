"""The one review engine (docs/architecture.md "Reviews"): submit, withdraw, decide (审核通过 / 驳回 with an
opinion), the history and the permission to review, for any model that declares itself reviewable.

The states and who may take which step are the pure state machine of domain/review.py (草稿 → 待审核 → 已通过 |
已驳回 → edit and resubmit); this module stores them: the item's status, its opinion (stripped, None when blank —
on the item and in its ReviewRecord alike), submitted_at / reviewed_at / reviewer_id, and one ReviewRecord per
step, each step in one transaction (services/transaction.py). Users: real-name certification
(services/certification.py), institution change requests (services/institutions.py), probation registration
(services/probation.py).

A reviewable model has the columns status, opinion, submitted_at, reviewed_at, reviewer_id and institution_id
(any may be named otherwise in the declaration, the timestamps and reviewer may be absent). It declares itself
once, in its service; e.g. the coming resignation workflow (staff movements):

    def _reviewable(reviewer):                      # who may review: the items a reviewer may see and decide
        clause = scope_of(reviewer).institutions_clause(Resignation.institution_id)
        return select(Resignation).where(Resignation.status != review.DRAFT, clause if clause is not None else true())

    def _approved(resignation, reviewer):           # what an approval does besides the status (may refuse)
        resignation.person.status = "离职"

    REVIEW = reviews.Reviewable(kind="resignation", model=Resignation, reviewable=_reviewable,
                                not_found="没有找到该离职申请，或不在您的审核范围内", on_approve=_approved)

    reviews.submit(REVIEW, resignation, user)                        # 草稿 / 已驳回 → 待审核
    reviews.withdraw(REVIEW, resignation, user)                      # 待审核 → 草稿
    reviews.decide(REVIEW, reviewer, pk, "reject", "请补充交接清单")    # 待审核 → 已驳回 (opinion required)
    reviews.queue(REVIEW, reviewer, review.SUBMITTED); reviews.history(REVIEW, resignation)

The applicant side (which items a user may submit or withdraw) stays with the service: it finds the item in the
user's own scope and passes it; the reviewer side is the declaration's `reviewable` query, used by queue,
get_for_review, may_review and decide.
"""
import datetime
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from app.domain import review
from app.domain.errors import DomainError
from app.extensions import db
from app.models.workflow import ReviewRecord
from app.services.transaction import transaction


@dataclass(frozen=True)
class Reviewable:
    """The declaration of a reviewable model (see the module's docstring)."""

    kind: str  # ReviewRecord.entity of its trail, e.g. "certification"
    model: type
    reviewable: Callable  # reviewer → select(model) of the items the reviewer may see and decide
    not_found: str  # the refusal for an item outside that query (views answer 404)
    on_approve: Callable | None = None  # (item, reviewer): what 审核通过 does besides the status; may refuse
    status: str = "status"
    institution: str = "institution_id"
    opinion: str = "opinion"  # the column keeping the latest opinion (e.g. an emergency report's return_reason)
    # The model's own names of the machine's statuses, when it stores others (emergency reports: 待审核 is 已上报,
    # 已驳回 is 已退回); None: the machine's names are stored.
    states: dict | None = None

    def machine(self, stored):
        """The state machine's status of a stored one."""
        if not self.states:
            return stored
        return {v: k for k, v in self.states.items()}.get(stored, stored)

    def stored(self, status):
        """The stored status of one of the state machine's."""
        return (self.states or {}).get(status, status)


def _step(spec: Reviewable, item, action: str, actor, new: str, opinion=None) -> None:
    """Move item to `new` and write the step's ReviewRecord (inside the caller's transaction)."""
    old = getattr(item, spec.status)
    setattr(item, spec.status, new)
    if item.id is None:  # an item submitted as it is created (a change request): its id for the record
        db.session.add(item)
        db.session.flush()
    db.session.add(ReviewRecord(entity=spec.kind, entity_id=item.id, institution_id=getattr(item, spec.institution),
                                action=action, from_status=old, to_status=new, actor_id=actor.id,
                                actor_name=actor.username, opinion=review.opinion_text(opinion)))


def _set(item, key, value):
    if hasattr(type(item), key):
        setattr(item, key, value)


def submit(spec: Reviewable, item, applicant, *, ready: Callable | None = None):
    """提交 (草稿 / 已驳回 → 待审核). `ready(item)`: the workflow's own conditions, checked after the state machine
    allows the step and before anything is written (raise DomainError to refuse)."""
    with transaction():
        new = spec.stored(review.transition(spec.machine(getattr(item, spec.status)) or review.DRAFT, "submit",
                                            review.APPLICANT))
        if ready is not None:
            ready(item)
        if getattr(item, spec.status) is None:
            setattr(item, spec.status, spec.stored(review.DRAFT))
        _set(item, "submitted_at", datetime.datetime.now())
        _set(item, spec.opinion, None)
        _step(spec, item, "submit", applicant, new)
    return item


def withdraw(spec: Reviewable, item, applicant):
    """撤回 (待审核 → 草稿): the applicant takes a pending item back to change it."""
    with transaction():
        new = spec.stored(review.transition(spec.machine(getattr(item, spec.status)), "withdraw", review.APPLICANT))
        _step(spec, item, "withdraw", applicant, new)
    return item


def reviewable(spec: Reviewable, reviewer):
    """select() of the items the reviewer may see and decide (the permission to review)."""
    return spec.reviewable(reviewer)


def may_review(spec: Reviewable, reviewer, item) -> bool:
    return db.session.scalar(reviewable(spec, reviewer).where(spec.model.id == item.id).limit(1)) is not None


def queue(spec: Reviewable, reviewer, status=None) -> list:
    """The reviewer's queue, newest submission first; `status` filters (None: every status it may see)."""
    stmt = reviewable(spec, reviewer)
    if status:
        stmt = stmt.where(getattr(spec.model, spec.status) == status)
    order = [spec.model.id.desc()]
    if hasattr(spec.model, "submitted_at"):
        order.insert(0, spec.model.submitted_at.desc().nulls_last())
    return list(db.session.scalars(stmt.order_by(*order)))


def get_for_review(spec: Reviewable, reviewer, pk):
    """The item if the reviewer may see it; DomainError(spec.not_found) otherwise (views answer 404)."""
    item = db.session.scalar(reviewable(spec, reviewer).where(spec.model.id == pk))
    if item is None:
        raise DomainError(spec.not_found)
    return item


def decide(spec: Reviewable, reviewer, pk, action, opinion=None, *, before_approve: Callable | None = None):
    """审核通过 / 驳回 of the item `pk` within the reviewer's scope; 驳回 needs an opinion (ValidationFailed naming
    the `opinion` field). On approval `before_approve(item)` (this call's own changes, e.g. a reviewer's corrections)
    then the declaration's `on_approve(item, reviewer)` run; either may refuse, and then nothing is written."""
    with transaction():
        item = get_for_review(spec, reviewer, pk)
        new = spec.stored(review.decision(spec.machine(getattr(item, spec.status)), action, opinion))
        if action == "approve":
            if before_approve is not None:
                before_approve(item)
            if spec.on_approve is not None:
                spec.on_approve(item, reviewer)
        _set(item, spec.opinion, review.opinion_text(opinion))
        _set(item, "reviewed_at", datetime.datetime.now())
        _set(item, "reviewer_id", reviewer.id)
        _step(spec, item, action, reviewer, new, opinion)
    return item


def history(spec: Reviewable, item) -> list:
    """The item's ReviewRecords, oldest first (办理记录)."""
    if item is None or item.id is None:
        return []
    return list(db.session.scalars(select(ReviewRecord).where(ReviewRecord.entity == spec.kind,
                                                              ReviewRecord.entity_id == item.id)
                                   .order_by(ReviewRecord.id)))
