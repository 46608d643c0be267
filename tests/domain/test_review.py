"""The review state machine, without HTTP."""
import pytest

from app.domain import review
from app.domain.errors import DomainError, ValidationFailed
from app.domain.phone import mobile_problems, mobile_warning


@pytest.mark.parametrize("status, action, actor, expected", [
    (review.DRAFT, "submit", review.APPLICANT, review.SUBMITTED),
    (review.REJECTED, "submit", review.APPLICANT, review.SUBMITTED),
    (review.SUBMITTED, "withdraw", review.APPLICANT, review.DRAFT),
    (review.SUBMITTED, "approve", review.REVIEWER, review.APPROVED),
    (review.SUBMITTED, "reject", review.REVIEWER, review.REJECTED),
])
def test_allowed_transitions(status, action, actor, expected):
    assert review.transition(status, action, actor, opinion="请补充") == expected


@pytest.mark.parametrize("status, action, actor, fragment", [
    (review.DRAFT, "approve", review.REVIEWER, "当前状态为“草稿”，不能审核通过"),
    (review.APPROVED, "submit", review.APPLICANT, "不能提交"),
    (review.APPROVED, "withdraw", review.APPLICANT, "不能撤回"),
    (review.SUBMITTED, "approve", review.APPLICANT, "只有审核人可以审核通过"),
    (review.DRAFT, "submit", review.REVIEWER, "只有申请人可以提交"),
    (review.SUBMITTED, "delete", review.REVIEWER, "未知操作"),
])
def test_refused_transitions(status, action, actor, fragment):
    with pytest.raises(DomainError) as exc:
        review.transition(status, action, actor)
    assert fragment in exc.value.message


def test_reject_needs_an_opinion():
    with pytest.raises(ValidationFailed, match="驳回时必须填写审核意见") as refused:
        review.transition(review.SUBMITTED, "reject", review.REVIEWER, opinion="  ")
    assert refused.value.of(review.OPINION) == [review.OPINION_REQUIRED]  # shown under the opinion field


def test_a_decision_is_approve_or_reject_and_the_opinion_is_stored_stripped():
    assert review.decision(review.SUBMITTED, "approve") == review.APPROVED
    assert review.decision(review.SUBMITTED, "reject", "请补充") == review.REJECTED
    for action in ("withdraw", "submit", None):
        with pytest.raises(DomainError, match="审核操作只能是通过或驳回"):
            review.decision(review.SUBMITTED, action, "x")
    assert review.opinion_text("  请补充 \n") == "请补充" and review.opinion_text(" ") is None


def test_only_draft_and_rejected_are_editable():
    assert [s for s in review.STATUSES if review.can_edit(s)] == [review.DRAFT, review.REJECTED]


def test_mobile_rules():
    assert mobile_problems("13912345678") == []
    assert "11 位数字" in mobile_problems("1391234567")[0]
    assert mobile_problems("12912345678")
    assert mobile_warning("19212345678", {"139", "138"}) == "手机号码号段 192 不在已分配的手机号段中，请核对"
    assert mobile_warning("13912345678", {"139"}) is None
