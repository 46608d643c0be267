"""员工离职 (spec 4.4): the reviewed resignation that frees a person's ID number.

A clerk of the institution drafts one (person, 离职类型 = a 流出 code of staff_flow.csv, 离职时间, 离职说明), submits
it, and an account with the 审核 right of 员工离职 in the same institution approves it (the person's status becomes
离职, 退休 for type 24, so the ID number is free) or rejects it with an opinion. The steps go through the review
engine (services/reviews.py, declaration `REVIEW`); every step is a ReviewRecord.
"""
import datetime

from sqlalchemy import select

from app.domain import review
from app.domain.dates import parse_date
from app.domain.errors import DomainError, ValidationFailed
from app.domain.person import ACTIVE_STATUSES
from app.extensions import db
from app.models.movements import Resignation
from app.models.people import Person
from app.services import dictionaries
from app.services.scope import scope_of
from app.services.transaction import transactional

OPEN_STATUSES = (review.DRAFT, review.SUBMITTED, review.REJECTED)
OUTFLOW = "流出"
RETIRED_FLOW = "24"
MAX_DAYS_AHEAD = 30
LABELS = {"person_id": "离职人员", "flow_type": "离职类型", "leave_date": "离职时间", "note": "离职说明",
          "status": "状态", "opinion": "审核意见"}
NOTE_MAX = 500


def _institution_id(user) -> int:
    s = scope_of(user)
    if s.kind != "institution":
        raise DomainError("只有机构账号可以办理员工离职")
    return s.institution_id


def flow_types() -> dict:
    """code → name of the national 流出 codes (21 调往其他卫生机构 … 29 其他), in display order."""
    return {d.code: d.name for d in dictionaries.items("staff_flow", active_only=False)
            if (d.extra or {}).get("direction") == OUTFLOW}


def open_resignation(person_id) -> Resignation | None:
    """The person's resignation still in progress (草稿 / 待审核 / 已驳回), if any."""
    return db.session.scalar(select(Resignation).where(Resignation.person_id == person_id,
                                                       Resignation.status.in_(OPEN_STATUSES)).limit(1))


def check(institution_id, person_id, flow_type, leave_date, note=None, *, today=None, exclude_id=None):
    """(person, cleaned values, [(field, message)]) for one resignation's fields; every problem at once."""
    today = today or datetime.date.today()
    errors = []
    person = db.session.get(Person, int(person_id)) if str(person_id or "").strip().isdigit() else None
    if person is None or person.institution_id != institution_id:
        errors.append(("person_id", "请选择本机构的在职人员"))
        person = None
    elif person.status not in ACTIVE_STATUSES:
        errors.append(("person_id", f"{person.name}的在职状态是“{person.status}”，不是在职人员，不能办理离职"))
    else:
        current = open_resignation(person.id)
        if current is not None and current.id != exclude_id:
            errors.append(("person_id", f"{person.name}已有一条{current.status}的离职记录，请在该记录上继续办理"))
    flow = str(flow_type or "").strip()
    types = flow_types()
    if not flow:
        errors.append(("flow_type", "请选择离职类型"))
    elif flow not in types:
        errors.append(("flow_type", f"离职类型须从下拉列表中选择（当前：{flow}）"))
    try:
        date = parse_date(leave_date, "离职时间")
    except ValueError as exc:
        errors.append(("leave_date", str(exc)))
        date = None
    else:
        if date is None:
            errors.append(("leave_date", "离职时间不能为空"))
        elif person is not None and person.work_start and date < person.work_start:
            errors.append(("leave_date", f"离职时间不能早于参加工作日期（{person.work_start:%Y-%m-%d}）"))
        elif date > today + datetime.timedelta(days=MAX_DAYS_AHEAD):
            errors.append(("leave_date", f"离职时间不能晚于今天之后 {MAX_DAYS_AHEAD} 天"
                                         f"（{today + datetime.timedelta(days=MAX_DAYS_AHEAD):%Y-%m-%d}）"))
    text = (note or "").strip() or None
    if text and len(text) > NOTE_MAX:
        errors.append(("note", f"离职说明不能超过 {NOTE_MAX} 个字（当前 {len(text)} 个字）"))
    return person, {"flow_type": flow, "leave_date": date, "note": text}, errors


@transactional
def create_draft(user, person_id, *, flow_type, leave_date, note=None, transfer_request_id=None,
                 today=None) -> Resignation:
    """保存 a new resignation as 草稿 for a person active in the caller's institution (ValidationFailed naming
    person_id / flow_type / leave_date / note otherwise; nothing written then)."""
    institution_id = _institution_id(user)
    person, values, errors = check(institution_id, person_id, flow_type, leave_date, note, today=today)
    if errors:
        raise ValidationFailed(errors)
    item = Resignation(institution_id=institution_id, person_id=person.id, status=review.DRAFT,
                       transfer_request_id=transfer_request_id, created_by=user.username, **values)
    db.session.add(item)
    db.session.flush()
    return item
