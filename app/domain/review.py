"""The one review state machine (DESIGN.md): 草稿 → 待审核 → 已通过 | 已驳回 (→ edit and resubmit).

Used by real-name certification, institution change requests and probation registration (and the coming
resignation workflow and the emergency reports' 退回) through the review engine, services/reviews.py, which stores
the status, the opinion and the ReviewRecord trail. Pure: callers pass the current status, the action and who acts;
they get the new status or a DomainError in Chinese (a 驳回 without an opinion names the `opinion` field).
"""
from app.domain.errors import DomainError, ValidationFailed

DRAFT = "草稿"
SUBMITTED = "待审核"
APPROVED = "已通过"
REJECTED = "已驳回"
STATUSES = (DRAFT, SUBMITTED, APPROVED, REJECTED)
# The one vocabulary shown for these statuses on every page (certification, change requests, probation): the stored
# values themselves. (Certification once showed 草稿 as 未提交; an application not yet saved is 未填写.)
LABELS = {DRAFT: DRAFT, SUBMITTED: SUBMITTED, APPROVED: APPROVED, REJECTED: REJECTED}
NOT_STARTED = "未填写"
# What a withdrawal tells the applicant (the content goes back to 草稿 and may be changed).
WITHDRAWN_MESSAGE = "已撤回，可修改后重新提交"

APPLICANT = "applicant"
REVIEWER = "reviewer"

# action: (statuses it may start from, resulting status, who may take it)
TRANSITIONS = {
    "submit": ({DRAFT, REJECTED}, SUBMITTED, APPLICANT),
    "withdraw": ({SUBMITTED}, DRAFT, APPLICANT),
    "approve": ({SUBMITTED}, APPROVED, REVIEWER),
    "reject": ({SUBMITTED}, REJECTED, REVIEWER),
}
ACTION_LABELS = {"submit": "提交", "withdraw": "撤回", "approve": "审核通过", "reject": "驳回"}
DECISIONS = ("approve", "reject")
OPINION = "opinion"  # the form field of the reviewer's opinion (a refusal names it)
OPINION_REQUIRED = "驳回时必须填写审核意见，说明需要修改的内容"


def opinion_text(opinion: str | None) -> str | None:
    """The opinion as every workflow stores it (item and ReviewRecord): stripped, None when blank."""
    return (opinion or "").strip() or None


def can_edit(status: str) -> bool:
    """The applicant may change the content while it is a draft or after a rejection."""
    return status in (DRAFT, REJECTED)


def transition(status: str, action: str, actor: str, opinion: str | None = None) -> str:
    """The status after `action` taken by `actor` (APPLICANT or REVIEWER); DomainError when not allowed."""
    if action not in TRANSITIONS:
        raise DomainError(f"未知操作：{action}")
    sources, target, who = TRANSITIONS[action]
    label = ACTION_LABELS[action]
    if actor != who:
        raise DomainError(f"只有{'申请人' if who == APPLICANT else '审核人'}可以{label}")
    if status not in sources:
        raise DomainError(f"当前状态为“{status}”，不能{label}")
    if action == "reject" and opinion_text(opinion) is None:
        raise ValidationFailed([(OPINION, OPINION_REQUIRED)])
    return target


def decision(status: str, action: str, opinion: str | None = None) -> str:
    """The status after a reviewer's 审核通过 / 驳回 (the only two decisions); DomainError otherwise."""
    if action not in DECISIONS:
        raise DomainError("审核操作只能是通过或驳回")
    return transition(status, action, REVIEWER, opinion)
