"""试用期填报 (spec 4.2.6, 4.2.7) and its county review.

Institutions file, for each of their staff whose 在职状态 is 医师资格考试试用期考核人员 (village-clinic staff
included: they are entered under a department of category 村卫生室), the probation details and scanned documents
for the physician qualification exam. A filing follows the review state machine of `domain/review.py`
(草稿 → 待审核 → 已通过 | 已驳回); it may only be submitted inside the registration window that the nearest
commission above the institution set for the current year. The steps go through the review engine
(services/reviews.py, declaration `REVIEW`); every transition is a `ReviewRecord`.
"""
import datetime

from sqlalchemy import false, func, select

from app.domain import review
from app.domain.dates import parse_date
from app.domain.errors import DomainError, ValidationFailed
from app.domain.person import PROBATION_STATUS
from app.extensions import db
from app.models.org import Department, Region
from app.models.people import Person, Probation, ProbationWindow
from app.services import concurrency, dictionaries, reviews, storage
from app.services.scope import scope_of
from app.services.transaction import transaction

STATUS_LABELS = review.LABELS
VILLAGE_CLINIC = "村卫生室"
MAX_ATTACHMENTS = 10

# key → (label, required, max length); the order is the form's order.
FIELDS = {
    "exam_category": ("报考类别", True, None),
    "start_date": ("试用期开始日期", True, None),
    "end_date": ("试用期结束日期", True, None),
    "probation_unit": ("试用机构", True, 100),
    "supervisor": ("带教老师", True, 50),
    "supervisor_title": ("带教老师职称", False, 50),
    "note": ("备注", False, 500),
}
ATTACHMENT_LABEL = "试用期证明材料"
NO_WINDOW = "上级卫健委尚未设置本年度报名时间"


# ---- who and what ------------------------------------------------------------------------------------------------

def _institution_scope(user):
    """The caller's scope, which must be one institution (the filing side)."""
    s = scope_of(user)
    if s.kind != "institution":
        raise DomainError("只有机构账号可以填报试用期")
    return s


def roster(institution_id: int):
    """[(person, newest filing or None)] of the institution's staff whose 在职状态 is 医师资格考试试用期考核人员,
    by department and name; two queries whatever the number of staff."""
    latest = (select(func.max(Probation.id).label("id"))
              .where(Probation.institution_id == institution_id)
              .group_by(Probation.person_id).subquery())
    stmt = (select(Person, Probation)
            .outerjoin(Probation, (Probation.person_id == Person.id) & Probation.id.in_(select(latest.c.id)))
            .outerjoin(Department, Person.department_id == Department.id)
            .where(Person.institution_id == institution_id, Person.status == PROBATION_STATUS)
            .order_by(Department.seq.nulls_last(), Department.name.nulls_last(), Person.name, Person.id))
    rows = db.session.execute(stmt).all()
    return [(person, filing) for person, filing in rows]


def get_person(user, person_id) -> Person:
    """A person of the caller's institution (DomainError otherwise: views answer 404)."""
    s = _institution_scope(user)
    person = db.session.get(Person, person_id)
    if person is None or person.institution_id != s.institution_id:
        raise DomainError("人员不存在，或不在您的权限范围内")
    return person


def status_problem(person) -> str | None:
    if person.status != PROBATION_STATUS:
        return (f"{person.name}的在职状态是“{person.status}”，不是“{PROBATION_STATUS}”，不能填报试用期。"
                f"请先在“人员信息管理—基本信息”中修改在职状态")
    return None


def filing_of(person) -> Probation | None:
    """The person's newest filing."""
    return db.session.scalar(select(Probation).where(Probation.person_id == person.id)
                             .order_by(Probation.id.desc()).limit(1))


def get_filing(user, pk) -> Probation:
    """A filing of the caller's institution (DomainError otherwise: views answer 404)."""
    s = _institution_scope(user)
    filing = db.session.get(Probation, pk)
    if filing is None or filing.institution_id != s.institution_id:
        raise DomainError("试用期填报不存在，或不在您的权限范围内")
    return filing


# ---- the registration window -------------------------------------------------------------------------------------

def window_for(region, year: int | None = None) -> ProbationWindow | None:
    """The window of `year` (default: this year) set by the nearest region at or above `region`."""
    year = year or datetime.date.today().year
    codes = [c for c in (region.path or "").split("/") if c] or [region.code]
    return db.session.scalar(
        select(ProbationWindow).join(Region, ProbationWindow.region_id == Region.id)
        .where(Region.code.in_(codes), ProbationWindow.year == year)
        .order_by(Region.level.desc(), ProbationWindow.id.desc()).limit(1))


def window_text(window) -> str:
    return f"{window.opens_on:%Y-%m-%d} 至 {window.closes_on:%Y-%m-%d}"


def window_problem(institution, today: datetime.date | None = None) -> str | None:
    """Why a filing of this institution cannot be submitted today (None: it can)."""
    today = today or datetime.date.today()
    window = window_for(institution.region, today.year)
    if window is None:
        return NO_WINDOW
    if not window.opens_on <= today <= window.closes_on:
        return f"报名时间为 {window_text(window)}，当前不在报名时间内"
    return None


def _regional_user_region(user):
    s = scope_of(user)
    if s.kind != "region" or getattr(user, "region", None) is None:
        raise DomainError("只有区域（卫健委）账号可以设置报名时间")
    return user.region


def windows_of(user):
    """The windows the caller's region has set, newest year first."""
    region = _regional_user_region(user)
    return list(db.session.scalars(select(ProbationWindow).where(ProbationWindow.region_id == region.id)
                                   .order_by(ProbationWindow.year.desc())))


WINDOW_LABELS = {"opens_on": "报名开始日期", "closes_on": "报名截止日期"}


def set_window(user, year, opens_on, closes_on, version=None) -> ProbationWindow:
    """报名时间 of one year for the caller's own region (replaces that year's window). Every error at once.
    `version`: that of the year's window when the form was opened (a window changed since then is refused)."""
    region = _regional_user_region(user)
    errors = []
    text = str(year or "").strip()
    if not text:
        errors.append(("year", "年度不能为空"))
        year = None
    elif not text.isdigit() or len(text) != 4 or not 2000 <= int(text) <= 2100:
        errors.append(("year", f"年度须为 4 位数字的年份（如 {datetime.date.today().year}），当前：{text}"))
        year = None
    else:
        year = int(text)
    dates = {}
    for key, value, label in (("opens_on", opens_on, "报名开始日期"), ("closes_on", closes_on, "报名截止日期")):
        try:
            dates[key] = parse_date(value, label)
        except ValueError as exc:
            errors.append((key, str(exc)))
            dates[key] = None
            continue
        if dates[key] is None:
            errors.append((key, f"{label}不能为空"))
        elif year and dates[key].year != year:
            errors.append((key, f"{label}须在 {year} 年内，当前：{dates[key]:%Y-%m-%d}"))
    if dates["opens_on"] and dates["closes_on"] and dates["opens_on"] > dates["closes_on"]:
        errors.append(("closes_on", "报名截止日期不能早于报名开始日期"))
    if errors:
        raise ValidationFailed(errors)
    window = db.session.scalar(select(ProbationWindow).where(ProbationWindow.region_id == region.id,
                                                             ProbationWindow.year == year))
    base = concurrency.check(window, version, WINDOW_LABELS) if window is not None else None
    with transaction(conflict=(window, base, WINDOW_LABELS) if window is not None else None):
        if window is None:
            window = ProbationWindow(region_id=region.id, year=year)
            db.session.add(window)
        window.opens_on, window.closes_on = dates["opens_on"], dates["closes_on"]
    return window


# ---- filing ------------------------------------------------------------------------------------------------------

def check_fields(raw: dict) -> tuple[dict, list[tuple[str, str]]]:
    """The cleaned values and every problem of the form's fields, as (field, message)."""
    values, errors = {}, []
    for key, (label, required, limit) in FIELDS.items():
        value = raw.get(key)
        value = value.strip() if isinstance(value, str) else value
        if value in (None, ""):
            if required:
                errors.append((key, f"{label}不能为空" if key != "exam_category" else f"请选择{label}"))
            values[key] = None
            continue
        if key in ("start_date", "end_date"):
            try:
                values[key] = parse_date(value, label)
            except ValueError as exc:
                errors.append((key, str(exc)))
                values[key] = None
        elif key == "exam_category":
            codes = {d.code for d in dictionaries.items("practice_category")}
            if str(value) not in codes:
                errors.append((key, f"{label}须从下拉列表中选择（当前：{value}）"))
            values[key] = str(value)
        else:
            if limit and len(value) > limit:
                errors.append((key, f"{label}不能超过 {limit} 个字（当前 {len(value)} 个字）"))
            values[key] = value
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end <= start:
        errors.append(("end_date", f"试用期结束日期须晚于试用期开始日期（当前：{start:%Y-%m-%d} 至 {end:%Y-%m-%d}）"))
    return values, errors


def _labels():
    return {key: spec[0] for key, spec in FIELDS.items()} | {"attachments": ATTACHMENT_LABEL, "status": "状态"}


def save(user, person_id, raw: dict, uploads=(), remove=(), version=None) -> Probation:
    """保存 (as 草稿, or keeping 已驳回 until resubmitted): the fields and the attachments (JPG/PNG ≤ 3 MB, at least
    one; `remove` = indexes of stored ones to drop). ValidationFailed lists every error; nothing is written then."""
    person = get_person(user, person_id)
    problem = status_problem(person)
    if problem:
        raise DomainError(problem)
    filing = filing_of(person)
    if filing is not None and not review.can_edit(filing.status):
        raise DomainError(f"{person.name}的试用期填报{STATUS_LABELS[filing.status]}，不能修改"
                          + ("；如需修改请先撤回" if filing.status == review.SUBMITTED else ""))
    base = concurrency.check(filing, version, _labels()) if filing is not None else None
    values, errors = check_fields(raw)
    removed = {int(i) for i in remove if str(i).isdigit()}
    kept = [a for i, a in enumerate((filing.attachments or []) if filing else []) if i not in removed]
    accepted = []
    for upload in [u for u in uploads if u]:
        try:
            accepted.append(storage.check_upload(upload, field_label=ATTACHMENT_LABEL, kinds={"jpeg", "png"},
                                                 max_bytes=storage.IMAGE_MAX))
        except DomainError as exc:
            errors.append(("attachments", exc.message))
    if not kept and not accepted and not any(field == "attachments" for field, _ in errors):
        errors.append(("attachments", f"请上传{ATTACHMENT_LABEL}（至少 1 张，JPG 或 PNG，每张不超过 3 MB）"))
    if len(kept) + len(accepted) > MAX_ATTACHMENTS:
        errors.append(("attachments",
                       f"{ATTACHMENT_LABEL}最多 {MAX_ATTACHMENTS} 张（当前 {len(kept) + len(accepted)} 张）"))
    if errors:
        raise ValidationFailed(errors)
    with transaction(conflict=(filing, base, _labels()) if filing is not None else None):
        stored = [{"path": s.path, "thumb": s.thumb_path, "filename": s.original_filename}
                  for s in storage.store_all(accepted)]
        if filing is None:
            filing = Probation(person_id=person.id, institution_id=person.institution_id, status=review.DRAFT)
            db.session.add(filing)
        for key, value in values.items():
            setattr(filing, key, value)
        filing.attachments = kept + stored
    return filing


def submit(user, pk, today: datetime.date | None = None) -> Probation:
    """提交 for the county's review: only inside the registration window, only for probation-status staff."""
    filing = get_filing(user, pk)
    problem = status_problem(filing.person)
    if problem:
        raise DomainError(problem)

    def ready(filing):
        if not filing.attachments:
            raise DomainError(f"请先上传{ATTACHMENT_LABEL}并保存，再提交")
        problem = window_problem(filing.person.institution, today)
        if problem:
            raise DomainError(problem)

    return reviews.submit(REVIEW, filing, user, ready=ready)


def withdraw(user, pk) -> Probation:
    """撤回 a filing still waiting for review, to change it."""
    return reviews.withdraw(REVIEW, get_filing(user, pk), user)


# ---- county review -----------------------------------------------------------------------------------------------

def reviewable_query(reviewer):
    """Submitted (or decided) filings of institutions in the reviewer's region subtree; drafts stay private."""
    s = scope_of(reviewer)
    stmt = select(Probation).where(Probation.status != review.DRAFT)
    if s.kind not in ("region", "all"):
        return stmt.where(false())
    clause = s.institutions_clause(Probation.institution_id)
    return stmt if clause is None else stmt.where(clause)


REVIEW = reviews.Reviewable(kind="probation", model=Probation, reviewable=reviewable_query,
                            not_found="没有找到该试用期填报，或不在您的审核范围内")


def attachment_path(filing, index, thumb=False) -> str:
    """The stored path of one attachment (DomainError if there is no such attachment)."""
    files = filing.attachments or []
    if not str(index).isdigit() or int(index) >= len(files):
        raise DomainError("附件不存在")
    entry = files[int(index)]
    return entry.get("thumb") if thumb and entry.get("thumb") else entry["path"]


def category_names() -> dict:
    return {d.code: d.name for d in dictionaries.items("practice_category", active_only=False)}
