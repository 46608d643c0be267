"""申请调入 (spec 4.4, issue 13): an institution that wants to enter a person whose ID number is active in another
institution asks the holder to release the person.

    待处理 → 已办理离职 (the holder started the resignation, type 21; its review decides) → 已完成 (the requester
    entered the person: `complete_for`) | 已拒绝 (with the holder's reason) | 已撤回 (by the requester)
    | 已过期 (30 days without an answer)

Expiry is lazy: a pending request past `expires_at` is shown as 已过期 and refused as such (`shown_status`) without a
write on read; `flask transfers expire` stores the status. The regional 人员流动 page reads `movements`.
"""
import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased, joinedload

from app.domain import review
from app.domain.dates import parse_date
from app.domain.errors import DomainError, ValidationFailed
from app.domain.person import ACTIVE_STATUSES
from app.extensions import db
from app.models.movements import Resignation, TransferRequest
from app.models.org import Institution
from app.models.people import Person
from app.services import concurrency, dictionaries
from app.services.scope import scope_of
from app.services.transaction import transaction, transactional

PENDING, RESIGNING, DECLINED, EXPIRED, WITHDRAWN, COMPLETED = "待处理", "已办理离职", "已拒绝", "已过期", "已撤回", "已完成"
STATUSES = (PENDING, RESIGNING, DECLINED, EXPIRED, WITHDRAWN, COMPLETED)
EXPIRY_DAYS = 30
TRANSFER_FLOW = "21"  # staff_flow.csv 流出: 调往其他卫生机构
LABELS = {"id_number": "证件号码", "name": "姓名", "reason": "调入理由", "expected_date": "期望调入日期",
          "answer": "拒绝理由", "status": "状态"}
NOT_FOUND = "没有找到该调动申请，或不在您的权限范围内"


class NotAllowed(DomainError):
    """The request is the caller's institution's, but this step belongs to the other side (views answer 403)."""


# ---- reading -----------------------------------------------------------------------------------------------------

def _now():
    return datetime.datetime.now()


def shown_status(req, now=None) -> str:
    """The status as it stands: a pending request past its 30 days is 已过期 even before the CLI stored it."""
    if req.status == PENDING and req.expires_at <= (now or _now()):
        return EXPIRED
    return req.status


def _number(id_number) -> str:
    return (id_number or "").strip().upper()


def _holder(id_number):
    from app.services import people  # people's save path calls complete_for: imported late

    return people.active_holder(_number(id_number)) if _number(id_number) else None


def offer_for(institution_id: int, id_number) -> Institution | None:
    """The institution where the number is active, when it is another one than `institution_id` (the 基本信息
    form's refusal then offers 申请调入); None otherwise."""
    holder = _holder(id_number)
    if holder is None or holder.institution_id == institution_id:
        return None
    return holder.institution


def open_request(institution_id: int, id_number) -> TransferRequest | None:
    """The caller's pending, unexpired request for this number."""
    return db.session.scalar(select(TransferRequest).where(
        TransferRequest.requester_institution_id == institution_id, TransferRequest.id_number == _number(id_number),
        TransferRequest.status == PENDING, TransferRequest.expires_at > _now()).limit(1))


def _institution_id(user) -> int:
    s = scope_of(user)
    if s.kind != "institution":
        raise DomainError("只有机构账号可以办理调动申请")
    return s.institution_id


def _ordered(stmt):
    return list(db.session.scalars(stmt.options(joinedload(TransferRequest.requester),
                                                joinedload(TransferRequest.holder))
                                   .order_by(TransferRequest.created_at.desc(), TransferRequest.id.desc())))


def received(user):
    """收到的申请: requests to the caller's institution, newest first."""
    return _ordered(select(TransferRequest).where(TransferRequest.holder_institution_id == _institution_id(user)))


def sent(user):
    """发出的申请: the caller's institution's requests, newest first."""
    return _ordered(select(TransferRequest).where(TransferRequest.requester_institution_id == _institution_id(user)))


def get(user, pk) -> TransferRequest:
    """A request the caller's institution sent or received (DomainError otherwise: views answer 404)."""
    req = db.session.get(TransferRequest, pk)
    s = scope_of(user)
    if req is None or s.kind != "institution" or s.institution_id not in (req.requester_institution_id,
                                                                          req.holder_institution_id):
        raise DomainError(NOT_FOUND)
    return req


def resignation_of(req) -> Resignation | None:
    return db.session.scalar(select(Resignation).where(Resignation.transfer_request_id == req.id)
                             .order_by(Resignation.id.desc()).limit(1))


# ---- the requester -----------------------------------------------------------------------------------------------

@transactional
def create(user, id_number, name, reason, expected_date=None) -> TransferRequest:
    """申请调入 to the institution where `id_number` is active. Every problem at once, by field."""
    institution_id = _institution_id(user)
    number, name, reason = _number(id_number), (name or "").strip(), (reason or "").strip()
    errors = []
    holder = _holder(number) if number else None
    if not number:
        errors.append(("id_number", "证件号码不能为空"))
    elif holder is None:
        errors.append(("id_number", "该证件号码目前没有在职记录，可直接在“人员信息管理”中录入，无需申请调入"))
    elif holder.institution_id == institution_id:
        errors.append(("id_number", "该证件号码已是本机构的在职人员"))
    elif open_request(institution_id, number) is not None:
        errors.append(("id_number", f"本机构已向{holder.institution.name}申请调入该人员，请等待对方处理"))
    if not name:
        errors.append(("name", "姓名不能为空"))
    elif len(name) > 50:
        errors.append(("name", f"姓名不能超过 50 个字（当前 {len(name)} 个字）"))
    if not reason:
        errors.append(("reason", "请填写调入理由"))
    elif len(reason) > 500:
        errors.append(("reason", f"调入理由不能超过 500 个字（当前 {len(reason)} 个字）"))
    expected = None
    try:
        expected = parse_date(expected_date, LABELS["expected_date"]) if expected_date else None
    except ValueError as exc:
        errors.append(("expected_date", str(exc)))
    if expected is not None and expected < datetime.date.today():
        errors.append(("expected_date", f"期望调入日期不能早于今天（当前：{expected:%Y-%m-%d}）"))
    if errors:
        raise ValidationFailed(errors)
    now = _now()
    req = TransferRequest(requester_institution_id=institution_id, holder_institution_id=holder.institution_id,
                          person_id=holder.id, id_number=number, name=name, reason=reason, expected_date=expected,
                          status=PENDING, created_by=user.username, created_at=now,
                          expires_at=now + datetime.timedelta(days=EXPIRY_DAYS))
    db.session.add(req)
    return req


def _step(user, pk, side, version):
    """The request, checked: the caller's institution is `side` ("holder" / "requester"), still pending."""
    req = get(user, pk)
    own = req.holder_institution_id if side == "holder" else req.requester_institution_id
    if own != user.institution_id:
        raise NotAllowed("该操作只能由" + ("被申请机构" if side == "holder" else "申请机构") + "办理")
    base = concurrency.check(req, version, LABELS)
    status = shown_status(req)
    if status != PENDING:
        raise DomainError(f"该调动申请{status}，不能再办理")
    return req, base


def withdraw(user, pk, version=None) -> TransferRequest:
    """撤回 a pending request (the requester)."""
    req, base = _step(user, pk, "requester", version)
    with transaction(conflict=(req, base, LABELS)):
        req.status = WITHDRAWN
    return req


# ---- the holder --------------------------------------------------------------------------------------------------

def decline(user, pk, answer, version=None) -> TransferRequest:
    """拒绝 with a reason (the holder)."""
    req, base = _step(user, pk, "holder", version)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed([("answer", "请填写拒绝理由")])
    if len(answer) > 500:
        raise ValidationFailed([("answer", f"拒绝理由不能超过 500 个字（当前 {len(answer)} 个字）")])
    with transaction(conflict=(req, base, LABELS)):
        req.status, req.answer = DECLINED, answer
        req.answered_by, req.answered_at = user.username, _now()
    return req


def leave_date_for(req, today=None) -> datetime.date:
    """The resignation's 离职时间: the expected date when it is within the next 30 days, else today."""
    today = today or datetime.date.today()
    expected = req.expected_date
    if expected and today <= expected <= today + datetime.timedelta(days=30):
        return expected
    return today


def start_resignation(user, pk, version=None) -> Resignation:
    """办理离职 (the holder): the resignation draft of the person with type 21 调往其他卫生机构, linked to the request;
    the request becomes 已办理离职. The resignation still goes through its own submit and review."""
    from app.services import resignations

    req, base = _step(user, pk, "holder", version)
    with transaction(conflict=(req, base, LABELS)):
        resignation = resignations.create_draft(
            user, req.person_id, flow_type=TRANSFER_FLOW, leave_date=leave_date_for(req),
            note=f"调往{req.requester.name}（调动申请：{req.reason}）"[:resignations.NOTE_MAX], transfer_request_id=req.id)
        req.status = RESIGNING
        req.answered_by, req.answered_at = user.username, _now()
    return resignation


# ---- afterwards --------------------------------------------------------------------------------------------------

@transactional
def complete_for(institution_id: int, id_number) -> int:
    """The requester entered the person: its 已办理离职 requests for the number become 已完成 (the people save path
    calls it inside its own transaction). Returns how many."""
    reqs = db.session.scalars(select(TransferRequest).where(
        TransferRequest.requester_institution_id == institution_id, TransferRequest.id_number == _number(id_number),
        TransferRequest.status == RESIGNING)).all()
    for req in reqs:
        req.status = COMPLETED
    return len(reqs)


@transactional
def complete_entered(institution_id: int) -> int:
    """After an import of 基本信息: the requester's 已办理离职 requests whose number is now active in the requester
    institution become 已完成. Returns how many."""
    entered = select(Person.id_number).where(Person.institution_id == institution_id,
                                             Person.status.in_(ACTIVE_STATUSES))
    reqs = db.session.scalars(select(TransferRequest).where(
        TransferRequest.requester_institution_id == institution_id, TransferRequest.status == RESIGNING,
        TransferRequest.id_number.in_(entered))).all()
    for req in reqs:
        req.status = COMPLETED
    return len(reqs)


@transactional
def expire(now=None) -> int:
    """Store 已过期 on every pending request past its 30 days (`flask transfers expire`). Returns how many."""
    reqs = db.session.scalars(select(TransferRequest).where(TransferRequest.status == PENDING,
                                                            TransferRequest.expires_at <= (now or _now()))).all()
    for req in reqs:
        req.status = EXPIRED
    return len(reqs)


# ---- 区域管理 → 人员流动 ---------------------------------------------------------------------------------------------

def flow_names() -> dict:
    return {d.code: d.name for d in dictionaries.items("staff_flow", active_only=False)}


def region_institutions(user):
    """The institutions of the caller's region subtree (the filter's choices)."""
    clause = scope_of(user).institutions_clause(Institution.id)
    stmt = select(Institution).order_by(Institution.name)
    return list(db.session.scalars(stmt if clause is None else stmt.where(clause)))


def _scoped(user, column, institution_id):
    s = scope_of(user)
    if s.kind not in ("region", "all"):
        raise DomainError("只有区域（卫健委）账号可以查看人员流动")
    clause = s.institutions_clause(column)
    parts = [c for c in (clause, column == institution_id if institution_id else None) if c is not None]
    return and_(*parts) if parts else None


def _where(stmt, clause):
    return stmt if clause is None else stmt.where(clause)


def movements(user, start: datetime.date, end: datetime.date, institution_id=None) -> dict:
    """{"out", "in", "pending"} of the caller's region subtree (optionally one institution of it):
    out: approved resignations with 离职时间 in [start, end]; in: records created in the period whose number had a
    record in another institution, and requests completed in the period; pending: requests waiting now (to or from
    an institution in scope)."""
    first, after = datetime.datetime.combine(start, datetime.time()), datetime.datetime.combine(
        end + datetime.timedelta(days=1), datetime.time())
    out = db.session.scalars(_where(
        select(Resignation).options(joinedload(Resignation.person), joinedload(Resignation.institution))
        .where(Resignation.status == review.APPROVED, Resignation.leave_date >= start, Resignation.leave_date <= end),
        _scoped(user, Resignation.institution_id, institution_id))
        .order_by(Resignation.leave_date, Resignation.id)).all()

    earlier = aliased(Person)
    arrived = db.session.scalars(_where(
        select(Person).options(joinedload(Person.institution))
        .where(Person.created_at >= first, Person.created_at < after,
               select(earlier.id).where(earlier.id_number == Person.id_number,
                                        earlier.institution_id != Person.institution_id,
                                        earlier.created_at < Person.created_at).exists()),
        _scoped(user, Person.institution_id, institution_id)).order_by(Person.created_at, Person.id)).all()
    completed = db.session.scalars(_where(
        select(TransferRequest).where(TransferRequest.status == COMPLETED, TransferRequest.answered_at >= first,
                                      TransferRequest.answered_at < after),
        _scoped(user, TransferRequest.requester_institution_id, institution_id))).all()
    came = [{"date": p.created_at.date(), "name": p.name, "id_number": p.id_number, "institution": p.institution.name,
             "how": "录入（原在其他机构有记录）"} for p in arrived]
    seen = {(p.institution_id, p.id_number) for p in arrived}
    came += [{"date": r.answered_at.date(), "name": r.name, "id_number": r.id_number,
              "institution": r.requester.name, "how": f"调动申请（自{r.holder.name}）"}
             for r in completed if (r.requester_institution_id, r.id_number) not in seen]

    by_requester = _scoped(user, TransferRequest.requester_institution_id, institution_id)
    by_holder = _scoped(user, TransferRequest.holder_institution_id, institution_id)
    pending_clause = None if by_requester is None else or_(by_requester, by_holder)
    pending = _ordered(_where(select(TransferRequest).where(TransferRequest.status == PENDING,
                                                            TransferRequest.expires_at > _now()), pending_clause))
    return {"out": out, "in": sorted(came, key=lambda m: m["date"]), "pending": pending}



def movement_rows(data, shown_id) -> dict:
    """{sheet title: (headers, rows)} of `movements(...)`, numbers shown through `shown_id` (the page and the
    export show the same)."""
    flows = flow_names()
    return {
        "流出": (["离职时间", "姓名", "证件号码", "机构", "离职类型"],
               [[r.leave_date.strftime("%Y-%m-%d"), r.person.name, shown_id(r.person.id_number), r.institution.name,
                 flows.get(r.flow_type, r.flow_type)] for r in data["out"]]),
        "流入": (["日期", "姓名", "证件号码", "机构", "方式"],
               [[m["date"].strftime("%Y-%m-%d"), m["name"], shown_id(m["id_number"]), m["institution"], m["how"]]
                for m in data["in"]]),
        "待处理调动申请": (["申请时间", "姓名", "证件号码", "申请机构", "现所在机构", "过期时间"],
                    [[r.created_at.strftime("%Y-%m-%d"), r.name, shown_id(r.id_number), r.requester.name,
                      r.holder.name, r.expires_at.strftime("%Y-%m-%d")] for r in data["pending"]]),
    }


def movements_workbook(sheets: dict) -> bytes:
    """The export of the 人员流动 page: one sheet per table of `movement_rows`."""
    from app.services.workbooks import sheets_workbook

    return sheets_workbook(sheets)
