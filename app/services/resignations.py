"""员工离职 (spec 4.4): the reviewed resignation that frees a person's ID number.

A clerk of the institution drafts one (person, 离职类型 = a 流出 code of staff_flow.csv, 离职时间, 离职说明), submits
it, and an account with the 审核 right of 员工离职 in the same institution approves it (the person's status becomes
离职, 退休 for type 24, so the ID number is free) or rejects it with an opinion. The steps go through the review
engine (services/reviews.py, declaration `REVIEW`); every step is a ReviewRecord.
"""
import datetime
import io

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.domain import review
from app.domain.dates import parse_date
from app.domain.errors import DomainError, ValidationFailed
from app.domain.person import ACTIVE_STATUSES
from app.extensions import db
from app.models.movements import Resignation
from app.models.people import Person
from app.services import concurrency, dictionaries, reviews
from app.services import people as people_svc
from app.services.scope import scope_of
from app.services.transaction import transaction, transactional

OPEN_STATUSES = (review.DRAFT, review.SUBMITTED, review.REJECTED)
STATUS_LABELS = review.LABELS
LEFT, RETIRED = "离职", "退休"
NOT_FOUND = "离职记录不存在，或不在您的权限范围内"
PER_PAGE = 20
PICKER_MAX = 20
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


# ---- the clerk's side --------------------------------------------------------------------------------------------

def get(user, pk) -> Resignation:
    """A resignation of the caller's institution (DomainError otherwise: views answer 404)."""
    institution_id = _institution_id(user)
    item = db.session.get(Resignation, pk)
    if item is None or item.institution_id != institution_id:
        raise DomainError(NOT_FOUND)
    return item


def _editable(item):
    if not review.can_edit(item.status):
        raise DomainError(f"{item.person.name}的离职记录{item.status}，不能修改"
                          + ("；如需修改请先撤回" if item.status == review.SUBMITTED else ""))


def update(user, pk, *, flow_type, leave_date, note=None, version=None, today=None) -> Resignation:
    """修改 a draft (or a rejected one): type, date, note; the person stays. A stale form ends in EditConflict."""
    item = get(user, pk)
    _editable(item)
    base = concurrency.check(item, version, LABELS)
    _, values, errors = check(item.institution_id, item.person_id, flow_type, leave_date, note, today=today,
                              exclude_id=item.id)
    if errors:
        raise ValidationFailed(errors)
    with transaction(conflict=(item, base, LABELS)):
        for key, value in values.items():
            setattr(item, key, value)
    return item


@transactional
def delete(user, pk) -> str:
    """删除 a draft (not one that was ever submitted and rejected: its history stays)."""
    item = get(user, pk)
    if item.status != review.DRAFT or reviews.history(REVIEW, item):
        raise DomainError(f"只能删除未提交过的草稿（当前：{item.status}）")
    name = item.person.name
    db.session.delete(item)
    return name


def submit(user, pk) -> Resignation:
    """提交 (草稿 / 已驳回 → 待审核), if the person is still serving."""
    item = get(user, pk)

    def ready(item):
        if item.person.status not in ACTIVE_STATUSES:
            raise DomainError(f"{item.person.name}的在职状态已是“{item.person.status}”，不能提交离职")

    with transaction():
        reviews.submit(REVIEW, item, user, ready=ready)
        item.submitted_by = user.username
    return item


def withdraw(user, pk) -> Resignation:
    """撤回 (待审核 → 草稿) to change it."""
    return reviews.withdraw(REVIEW, get(user, pk), user)


@transactional
def create_many(user, person_ids, *, flow_type, leave_date, note=None, today=None) -> list[Resignation]:
    """批量离职: one draft per person with the shared type, date and note; all or nothing — every refusal is
    listed (a person's by name, under `people`; the shared fields once under their own names)."""
    institution_id = _institution_id(user)
    ids = []
    for raw in person_ids or ():
        text = str(raw).strip()
        if text.isdigit() and int(text) not in ids:
            ids.append(int(text))
    if not ids:
        raise ValidationFailed([("people", "请先在人员列表中勾选要办理离职的人员")])
    errors, shared, checked = [], set(), []
    for pid in ids:
        person, values, problems = check(institution_id, pid, flow_type, leave_date, note, today=today)
        for field, message in problems:
            if field == "person_id":
                errors.append(("people", message if person is None else f"{person.name}：{message}"))
            elif field == "leave_date" and person is not None and "参加工作日期" in message:
                errors.append(("people", f"{person.name}：{message}"))
            elif (field, message) not in shared:
                shared.add((field, message))
                errors.append((field, message))
        checked.append((person, values))
    if errors:
        raise ValidationFailed(errors)
    items = []
    for person, values in checked:
        item = Resignation(institution_id=institution_id, person_id=person.id, status=review.DRAFT,
                           created_by=user.username, **values)
        db.session.add(item)
        items.append(item)
    db.session.flush()
    return items


# ---- review ------------------------------------------------------------------------------------------------------

def _reviewable(reviewer):
    """Submitted or decided resignations of the reviewer's own institution (drafts stay the clerk's); the 审核
    right of 员工离职 is FAB's, checked on the decision routes."""
    s = scope_of(reviewer)
    stmt = select(Resignation).where(Resignation.status != review.DRAFT)
    if s.kind != "institution":
        return stmt.where(Resignation.id.is_(None))
    return stmt.where(Resignation.institution_id == s.institution_id)


def status_after(flow_type) -> str:
    return RETIRED if flow_type == RETIRED_FLOW else LEFT


def _approved(item, reviewer):
    """通过: the person leaves the active statuses (离职, 退休 for 24) — the ID number is free; 编制 and department
    figures count active statuses only."""
    person = item.person
    if person.status not in ACTIVE_STATUSES:
        raise DomainError(f"{person.name}的在职状态已是“{person.status}”，不能再办理离职")
    person.status = status_after(item.flow_type)


REVIEW = reviews.Reviewable(kind="resignation", model=Resignation, reviewable=_reviewable,
                            not_found="没有找到该离职记录，或不在您的审核范围内", on_approve=_approved)


def decide(reviewer, pk, action, opinion=None) -> Resignation:
    return reviews.decide(REVIEW, reviewer, pk, action, opinion)


def decide_many(reviewer, ids, action, opinion=None) -> list[Resignation]:
    """审核 a selection in one step (each decided and recorded separately); all or nothing, every refusal named."""
    wanted = []
    for raw in ids or ():
        if str(raw).strip().isdigit() and int(raw) not in wanted:
            wanted.append(int(raw))
    if not wanted:
        raise ValidationFailed([("ids", "请先勾选要审核的离职记录")])
    done, errors = [], []
    with transaction():
        for pk in wanted:
            try:
                with transaction():
                    done.append(reviews.decide(REVIEW, reviewer, pk, action, opinion))
            except ValidationFailed as exc:
                if any(e.field == review.OPINION for e in exc.items):
                    raise
                errors.extend(("ids", m) for m in exc.errors)
            except DomainError as exc:
                item = db.session.get(Resignation, pk)
                who = item.person.name if item is not None and reviews.may_review(REVIEW, reviewer, item) else None
                errors.append(("ids", f"{who}：{exc.message}" if who else exc.message))
        if errors:
            raise ValidationFailed(errors)
    return done


def history(item) -> list:
    return reviews.history(REVIEW, item)


# ---- the list, the export, the picker ----------------------------------------------------------------------------

def parse_filters(args) -> tuple[dict, list]:
    """status / flow_type / date_from / date_to of the list's filter form, and what was wrong with them."""
    errors = []
    out = {"status": (args.get("status") or "").strip(), "flow_type": (args.get("flow_type") or "").strip()}
    if out["status"] not in STATUS_LABELS:
        out["status"] = ""
    if out["flow_type"] not in flow_types():
        out["flow_type"] = ""
    for key, label in (("date_from", "离职时间（起）"), ("date_to", "离职时间（止）")):
        try:
            out[key] = parse_date(args.get(key), label)
        except ValueError as exc:
            errors.append((key, str(exc)))
            out[key] = None
    return out, errors


def list_statement(institution_id, *, status="", flow_type="", date_from=None, date_to=None):
    stmt = select(Resignation).where(Resignation.institution_id == institution_id)
    if status:
        stmt = stmt.where(Resignation.status == status)
    if flow_type:
        stmt = stmt.where(Resignation.flow_type == flow_type)
    if date_from:
        stmt = stmt.where(Resignation.leave_date >= date_from)
    if date_to:
        stmt = stmt.where(Resignation.leave_date <= date_to)
    return stmt.options(selectinload(Resignation.person).selectinload(Person.department),
                        selectinload(Resignation.reviewer)).order_by(Resignation.id.desc())


def page_of(user, filters, page=1, per_page=PER_PAGE):
    """(rows, total, page, pages) of the caller's institution's resignations."""
    stmt = list_statement(_institution_id(user), **filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max((total + per_page - 1) // per_page, 1)
    page = min(max(int(page or 1), 1), pages)
    return list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))), total, page, pages


EXPORT_COLUMNS = ("工号", "姓名", "证件号码", "所在科室", "离职类型", "离职时间", "状态", "离职说明", "提交人",
                  "提交时间", "审核人", "审核时间", "审核意见")


def _stamp(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def export(user, filters, show_id=None) -> bytes:
    """The filtered list as .xlsx (证件号码 through `show_id`: what the downloading user may see)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    show_id = show_id or (lambda number: number)
    types = flow_types()
    wb = Workbook()
    ws = wb.active
    ws.title = "员工离职"
    ws.append(EXPORT_COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in db.session.scalars(list_statement(_institution_id(user), **filters)):
        p = r.person
        ws.append([p.staff_no or "", p.name, show_id(p.id_number), p.department.name if p.department else "",
                   types.get(r.flow_type, r.flow_type), r.leave_date.strftime("%Y-%m-%d"), r.status, r.note or "",
                   r.submitted_by or "", _stamp(r.submitted_at), r.reviewer.username if r.reviewer else "",
                   _stamp(r.reviewed_at), r.opinion or ""])
    for column, width in zip("ABCDEFGHIJKLM", (10, 10, 22, 14, 16, 12, 8, 24, 12, 18, 12, 18, 24), strict=True):
        ws.column_dimensions[column].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def initials(name) -> str:
    """拼音首字母 of a name (张三 → ZS)."""
    from pypinyin import Style, lazy_pinyin

    return "".join(s[:1] for s in lazy_pinyin(name or "", style=Style.FIRST_LETTER)).upper()


def candidates(user, text="", *, full_ids=True, limit=PICKER_MAX) -> list[Person]:
    """The person picker: the institution's serving staff without an open resignation, matching 工号, a part of
    姓名, the 证件号码 (the staff list's rule) or the name's 拼音首字母 (letters only, e.g. zs for 张三)."""
    institution_id = _institution_id(user)
    text = (text or "").strip()[:50]
    busy = select(Resignation.person_id).where(Resignation.institution_id == institution_id,
                                               Resignation.status.in_(OPEN_STATUSES))
    stmt = (select(Person).where(Person.institution_id == institution_id, Person.status.in_(ACTIVE_STATUSES),
                                 Person.id.not_in(busy))
            .options(selectinload(Person.department), selectinload(Person.post)).order_by(Person.name, Person.id))
    if not text:
        return list(db.session.scalars(stmt.limit(limit)))
    condition, _ = people_svc.search_condition(institution_id, text, full_ids)
    found = list(db.session.scalars(stmt.where(condition).limit(limit)))
    if len(found) < limit and text.isascii() and text.isalpha():
        seen = {p.id for p in found}
        wanted = text.upper()
        for p in db.session.scalars(stmt):
            if p.id not in seen and initials(p.name).startswith(wanted):
                found.append(p)
                if len(found) >= limit:
                    break
    return found


def person_card(person, show_id=None) -> dict:
    """The picked person's fields shown read-only on the form."""
    show_id = show_id or (lambda number: number)
    names = dictionaries.items_of(("sex", "establishment"), active_only=False)
    sex = {d.code: d.name for d in names["sex"]}
    establishment = {d.code: d.name for d in names["establishment"]}
    return {"id": person.id, "staff_no": person.staff_no or "", "name": person.name,
            "sex": sex.get(person.sex, person.sex or ""), "id_number": show_id(person.id_number),
            "department": person.department.name if person.department else "",
            "post": person.post.name if person.post else "", "status": person.status,
            "work_start": person.work_start.strftime("%Y-%m-%d") if person.work_start else "",
            "establishment": establishment.get(person.establishment, person.establishment or "")}


def latest_of(person_ids) -> dict:
    """person id → that person's newest resignation (the staff list's 离职人员 rows), in one query."""
    ids = list(person_ids)
    if not ids:
        return {}
    out = {}
    for item in db.session.scalars(select(Resignation).where(Resignation.person_id.in_(ids))
                                   .order_by(Resignation.id)):
        out[item.person_id] = item
    return out


def of_person(person_id) -> list[Resignation]:
    """A person's resignations, newest first (the 离职人员 view of the staff list)."""
    return list(db.session.scalars(select(Resignation).where(Resignation.person_id == person_id)
                                   .order_by(Resignation.id.desc())))

