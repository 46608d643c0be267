"""上报任务 (spec "哪些机构上报以上级通知为准", issue 15): who must report what, by when.

A region user publishes a task — a report kind of part 1 ("report:capacity" …) or an entry kind of part 2
("entry:supply:daily" …), the institutions (all in its scope, one kind of institution, or a hand-picked list), the
period (once on a date, daily or monthly from … to) and a deadline time. The institutions are resolved when the task
is published (report_task_institution): the rate is measured against that list.

A period is named by its first day. An institution has fulfilled a task for a period when it has a report of that
kind with status 已上报 and 上报时间 in the period, or (entry kinds) an entry with its day in the period. `rate` reads
the expected institutions with their fulfilment in one statement; `remind` (催报) records one reminder per
institution not reported, shown on its home page and task list until it reports."""
import calendar
import datetime
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select

from app.domain.errors import DomainError, FieldError, ValidationFailed
from app.extensions import db
from app.models.emergency_reports import EmergencyReport
from app.models.emergency_supplies import SupplyEntry
from app.models.enums import INSTITUTION_KINDS
from app.models.org import Institution, Region
from app.models.report_tasks import ReportReminder, ReportTask, ReportTaskInstitution
from app.services import emergency_reports, emergency_supplies, scope
from app.services.transaction import transactional

KINDS = {
    **{f"report:{k}": label for k, label in emergency_reports.KINDS.items()},
    **{f"entry:{resource}:{report}": emergency_supplies.menu_name(resource, report)
       for resource in ("supply", "drugdevice") for report in ("stock", "daily", "estimate")},
}
TARGETS = {"all": "辖区内全部机构", "kind": "某类机构", "list": "指定机构"}
PERIODS = {"once": "一次", "daily": "每日", "monthly": "每月"}
NOT_FOUND = "该上报任务不存在，或不在您的权限范围内"
LABELS = {"title": "任务名称", "kind": "上报类型", "target": "上报机构", "institution_kind": "机构类别",
          "period": "上报周期", "date_from": "开始日期", "date_to": "结束日期", "deadline": "截止时间",
          "region_id": "发布区域", "created_by_id": "发布人", "active": "状态", "withdrawn_at": "撤销时间",
          "withdrawn_by_id": "撤销人", "institutions": "上报机构"}
TASK_INSTITUTION_LABELS = {"task_id": "上报任务", "institution_id": "上报机构"}
REMINDER_LABELS = {"task_id": "上报任务", "institution_id": "被催报机构", "period_start": "上报周期",
                   "sent_at": "催报时间", "sent_by_id": "催报人"}


# ---- periods ---------------------------------------------------------------------------------------------------

def _month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def bounds(task: ReportTask, start: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the period starting on `start` (a monthly estimate is one month's entry)."""
    if task.period == "monthly" or task.kind.endswith(":estimate"):
        return start.replace(day=1), _month_end(start)
    return start, start


def periods(task: ReportTask) -> list[datetime.date]:
    """Every period of the task, by its first day."""
    if task.period == "once":
        return [bounds(task, task.date_from)[0]]
    if task.period == "daily":
        return [task.date_from + datetime.timedelta(days=n) for n in range((task.date_to - task.date_from).days + 1)]
    out, day = [], task.date_from.replace(day=1)
    while day <= task.date_to:
        out.append(day)
        day = _next_month(day)
    return out


def current_period(task: ReportTask, today: datetime.date | None = None) -> datetime.date:
    """The period containing today; before the first one the first, after the last one the last."""
    today = today or datetime.date.today()
    if task.period == "once":
        return bounds(task, task.date_from)[0]
    last = task.date_to
    day = min(max(today, task.date_from), last)
    return day.replace(day=1) if task.period == "monthly" else day


def period_of(task: ReportTask, raw) -> datetime.date:
    """A period named by the period picker (its first day, 2026-12-01), or today's; one not of the task → today's."""
    if isinstance(raw, datetime.date):
        day = raw
    else:
        try:
            day = datetime.datetime.strptime((raw or "").strip(), "%Y-%m-%d").date()
        except ValueError:
            return current_period(task)
    return day if day in periods(task) else current_period(task)


def period_label(task: ReportTask, start: datetime.date) -> str:
    if task.period == "monthly":
        return f"{start.year}年{start.month}月"
    return start.isoformat()


def due(task: ReportTask, start: datetime.date) -> datetime.datetime:
    """The deadline of a period: its last day at the task's deadline time."""
    hour, minute = (int(x) for x in task.deadline.split(":"))
    return datetime.datetime.combine(bounds(task, start)[1], datetime.time(hour, minute))


def schedule_text(task: ReportTask) -> str:
    if task.period == "once":
        return f"一次（{task.date_from.isoformat()}）"
    if task.period == "monthly":
        return f"每月（{task.date_from:%Y-%m} 至 {task.date_to:%Y-%m}）"
    return f"每日（{task.date_from.isoformat()} 至 {task.date_to.isoformat()}）"


# ---- fulfilment ------------------------------------------------------------------------------------------------

def _fulfilled_clause(kind: str, institution_column, start: datetime.date, end: datetime.date):
    """EXISTS a report (已上报) or an entry of `kind` of the institution in [start, end]."""
    parts = kind.split(":")
    if parts[0] == "report":
        return exists().where(EmergencyReport.institution_id == institution_column, EmergencyReport.kind == parts[1],
                              EmergencyReport.status == emergency_reports.REPORTED,
                              EmergencyReport.report_date >= start, EmergencyReport.report_date <= end)
    return exists().where(SupplyEntry.institution_id == institution_column, SupplyEntry.resource == parts[1],
                          SupplyEntry.report == parts[2], SupplyEntry.day >= start, SupplyEntry.day <= end)


def fulfilled(task: ReportTask, institution_id: int, start: datetime.date) -> bool:
    low, high = bounds(task, start)
    return bool(db.session.scalar(select(_fulfilled_clause(task.kind, institution_id, low, high))))


@dataclass
class Rate:
    expected: int
    reported: int
    missing: list = field(default_factory=list)  # [(institution id, name, contact phone)], by name

    @property
    def text(self) -> str:
        return f"{self.reported}/{self.expected}"


def rate(task: ReportTask, start: datetime.date) -> Rate:
    """上报率 of a period: expected n, reported m, the institutions not reported (one statement)."""
    low, high = bounds(task, start)
    done = _fulfilled_clause(task.kind, Institution.id, low, high).label("done")
    rows = db.session.execute(
        select(Institution.id, Institution.name, func.coalesce(Institution.phone, Institution.head_phone), done)
        .join(ReportTaskInstitution, ReportTaskInstitution.institution_id == Institution.id)
        .where(ReportTaskInstitution.task_id == task.id)
        .order_by(Institution.name)).all()
    missing = [(i, name, phone or "") for i, name, phone, ok in rows if not ok]
    return Rate(len(rows), len(rows) - len(missing), missing)


# ---- the region: publish, list, withdraw, 催报 -------------------------------------------------------------------

def _region(user) -> Region:
    sc = scope.scope_of(user)
    if sc.kind != "region":
        raise DomainError("只有区域账号可以发布上报任务")
    return user.region


def choosable(user) -> list[Institution]:
    """The institutions a task of this user can name: its scope, by name."""
    clause = scope.scope_of(user).institutions_clause(Institution.id)
    query = select(Institution).order_by(Institution.name)
    return list(db.session.scalars(query if clause is None else query.where(clause)))


def _date(raw, name, label, problems, month=False):
    raw = (raw or "").strip() if not isinstance(raw, datetime.date) else raw
    if isinstance(raw, datetime.date):
        return raw
    if not raw:
        problems.append(FieldError(name, f"请填写{label}"))
        return None
    for fmt in (("%Y-%m-%d", "%Y-%m") if month else ("%Y-%m-%d",)):
        try:
            return datetime.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    problems.append(FieldError(name, f"{label}格式应为 {'2026-12' if month else '2026-12-01'}"))
    return None


def _deadline(raw, problems):
    raw = (raw or "").strip()
    try:
        parsed = datetime.datetime.strptime(raw, "%H:%M").time()
        return f"{parsed:%H:%M}"
    except ValueError:
        problems.append(FieldError("deadline", "截止时间格式应为 17:00"))
        return None


@transactional
def publish(user, *, title="", kind="", target="", institution_kind="", institution_ids=(), period="",
            date_from="", date_to="", deadline="") -> ReportTask:
    """A new task; every problem at once, each named by its field; institutions only from the user's scope."""
    region = _region(user)
    problems = []
    title = (title or "").strip()
    if not title:
        problems.append(FieldError("title", "请填写任务名称"))
    elif len(title) > 100:
        problems.append(FieldError("title", "任务名称不能超过 100 个字"))
    if kind not in KINDS:
        problems.append(FieldError("kind", "请选择上报类型"))
    if period not in PERIODS:
        problems.append(FieldError("period", "请选择上报周期"))
    elif period == "daily" and kind.endswith(":estimate"):
        problems.append(FieldError("period", "月估用量按月填报，上报周期请选择“每月”或“一次”"))
    month = period == "monthly"
    start = _date(date_from, "date_from", "开始日期", problems, month)
    end = None
    if period in ("daily", "monthly"):
        end = _date(date_to, "date_to", "结束日期", problems, month)
        if month:
            start, end = start and start.replace(day=1), end and end.replace(day=1)
        if start and end and end < start:
            problems.append(FieldError("date_to", "结束日期不能早于开始日期"))
    deadline = _deadline(deadline, problems)

    in_scope = {i.id: i for i in choosable(user)}
    chosen = []
    if target == "all":
        chosen = list(in_scope)
        if not chosen:
            problems.append(FieldError("target", "您的辖区内没有机构"))
    elif target == "kind":
        if institution_kind not in INSTITUTION_KINDS:
            problems.append(FieldError("institution_kind", "请选择机构类别"))
        else:
            chosen = [i for i, inst in in_scope.items() if inst.kind == institution_kind]
            if not chosen:
                problems.append(FieldError("institution_kind", f"您的辖区内没有{institution_kind}"))
    elif target == "list":
        ids = set()
        for raw in institution_ids or ():
            try:
                ids.add(int(raw))
            except (TypeError, ValueError):
                ids.add(-1)
        if not ids:
            problems.append(FieldError("institution_ids", "请至少选择一家机构"))
        elif ids - set(in_scope):
            problems.append(FieldError("institution_ids", "所选机构不在您的辖区内"))
        chosen = sorted(ids & set(in_scope))
    else:
        problems.append(FieldError("target", "请选择上报机构"))
    if problems:
        raise ValidationFailed(problems)

    task = ReportTask(title=title, kind=kind, target=target, institution_kind=institution_kind if target == "kind"
                      else None, period=period, date_from=start, date_to=end, deadline=deadline, region_id=region.id,
                      created_by_id=user.id, active=True)
    task.institutions = [ReportTaskInstitution(institution_id=i) for i in chosen]
    db.session.add(task)
    db.session.flush()
    return task


def _visible(user):
    """A WHERE clause: tasks published in the user's region subtree (系统管理员: all)."""
    sc = scope.scope_of(user)
    if sc.kind == "all":
        return None
    if sc.kind == "region":
        return ReportTask.region_id.in_(select(Region.id).where(Region.path.startswith(sc.region_path)))
    return ReportTask.id.is_(None)


def get(user, pk) -> ReportTask:
    """A task the region user may see (DomainError otherwise: views answer 404)."""
    task = db.session.get(ReportTask, pk)
    clause = _visible(user)
    if task is None or (clause is not None and db.session.scalar(
            select(ReportTask.id).where(ReportTask.id == pk, clause)) is None):
        raise DomainError(NOT_FOUND)
    return task


def tasks(user) -> list[ReportTask]:
    """The region's tasks, newest first (撤销 ones included, marked)."""
    query = select(ReportTask).order_by(ReportTask.active.desc(), ReportTask.created_at.desc(), ReportTask.id.desc())
    clause = _visible(user)
    return list(db.session.scalars(query if clause is None else query.where(clause)))


@transactional
def withdraw(user, pk) -> ReportTask:
    task = get(user, pk)
    _region(user)
    if not task.active:
        raise DomainError("该上报任务已撤销")
    task.active = False
    task.withdrawn_at = datetime.datetime.now()
    task.withdrawn_by_id = user.id
    return task


@transactional
def remind(user, task_or_pk, start) -> int:
    """催报: a reminder (who, when) for each institution of the task not reported in the period. Returns how many."""
    task = get(user, task_or_pk if isinstance(task_or_pk, int) else task_or_pk.id)
    _region(user)
    if not task.active:
        raise DomainError("该上报任务已撤销，不能催报")
    start = period_of(task, start)
    missing = rate(task, start).missing
    if not missing:
        raise DomainError("该周期所有机构均已上报，无需催报")
    now = datetime.datetime.now()
    for institution_id, _name, _phone in missing:
        db.session.add(ReportReminder(task_id=task.id, institution_id=institution_id, period_start=start,
                                      sent_at=now, sent_by_id=user.id))
    return len(missing)


# ---- the institution: 我的上报任务 -------------------------------------------------------------------------------

@dataclass
class OpenTask:
    task: ReportTask
    period_start: datetime.date
    period_label: str
    due: datetime.datetime
    done: bool
    reminded_at: datetime.datetime | None  # the latest 催报 of this period while not reported

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.task.kind, self.task.kind)


def _institution_id(user) -> int | None:
    sc = scope.scope_of(user)
    return sc.institution_id if sc.kind == "institution" else None


def open_tasks(user, today: datetime.date | None = None) -> list[OpenTask]:
    """The institution's active tasks still running (or not fulfilled), with the current period's due date."""
    institution_id = _institution_id(user)
    if institution_id is None:
        return []
    today = today or datetime.date.today()
    found = db.session.scalars(
        select(ReportTask).join(ReportTaskInstitution, ReportTaskInstitution.task_id == ReportTask.id)
        .where(ReportTaskInstitution.institution_id == institution_id, ReportTask.active.is_(True))
        .order_by(ReportTask.created_at.desc(), ReportTask.id.desc()))
    out = []
    for task in found:
        start = current_period(task, today)
        done = fulfilled(task, institution_id, start)
        running = bounds(task, periods(task)[-1])[1] >= today
        if not running and done:
            continue
        reminded = None if done else db.session.scalar(
            select(func.max(ReportReminder.sent_at)).where(
                ReportReminder.task_id == task.id, ReportReminder.institution_id == institution_id,
                ReportReminder.period_start == start))
        out.append(OpenTask(task, start, period_label(task, start), due(task, start), done, reminded))
    return out


@dataclass
class Reminder:
    task: ReportTask
    period_label: str
    sent_at: datetime.datetime
    sent_by: str

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.task.kind, self.task.kind)


def reminders(user) -> list[Reminder]:
    """催报 received for active tasks and periods the institution has not reported yet, newest first."""
    institution_id = _institution_id(user)
    if institution_id is None:
        return []
    rows = db.session.scalars(
        select(ReportReminder).join(ReportTask, ReportTask.id == ReportReminder.task_id)
        .where(ReportReminder.institution_id == institution_id, ReportTask.active.is_(True))
        .order_by(ReportReminder.sent_at.desc(), ReportReminder.id.desc()))
    out, seen = [], set()
    for r in rows:
        key = (r.task_id, r.period_start)
        if key in seen or fulfilled(r.task, institution_id, r.period_start):
            continue
        seen.add(key)
        out.append(Reminder(r.task, period_label(r.task, r.period_start), r.sent_at, r.task.region.name))
    return out
