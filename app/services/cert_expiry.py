"""证书到期提醒 (issue 16, spec 6.2): the 执业证书 of the staff in post whose 有效期至 falls within N days (already
expired first), and the staff who practise without one.

- A certificate is listed when its 有效期至 is at most today + N days, unless the same person holds another one valid
  beyond that (renewed: the old one no longer matters). 长期 (no 有效期至) never expires.
- 须执业注册 (posts do not say whether they need a practice registration, so the person's own record decides): a
  执业医师 / 执业助理医师 (从事专业类别 11, 12) or anyone with a 执业类别 needs a 执业证书; a 注册护士 / 助产士 (21, 22)
  needs a 执业证书 or a 护士执业证书编码. Listed when they have none.
"""
import datetime

from sqlalchemy import and_, func, or_, select

from app.domain.person import ACTIVE_STATUSES
from app.extensions import db
from app.models.org import Department, Institution
from app.models.people import Person, PracticeCertificate
from app.services import dictionaries, workbooks

DEFAULT_DAYS, MAX_DAYS = 90, 3650
PHYSICIANS = ("11", "12")  # staff_category: 执业医师, 执业助理医师
NURSES = ("21", "22")  # 注册护士, 助产士
SHOWN = 200  # lines a page shows of each list (the export has them all)


def days_problem(text) -> tuple[int | None, str | None]:
    """(days, None) for the 提前天数 typed on the page (blank: 90), or (None, the refusal)."""
    text = (text or "").strip()
    if not text:
        return DEFAULT_DAYS, None
    if not text.isdigit() or not 0 <= int(text) <= MAX_DAYS:
        return None, f"提前天数须为 0–{MAX_DAYS} 之间的整数（当前：{text}）"
    return int(text), None


def _expiring(institution_id: int, days: int, today: datetime.date):
    limit = today + datetime.timedelta(days=days)
    cert, other = PracticeCertificate, PracticeCertificate.__table__.alias("renewed")
    renewed = select(other.c.id).where(other.c.person_id == cert.person_id,
                                       or_(other.c.valid_until.is_(None), other.c.valid_until > limit))
    return (select(cert.id.label("certificate_id"), Person.id.label("person_id"), Person.name, Person.staff_no,
                   Department.name.label("department"), cert.certificate_no, cert.category, cert.valid_until)
            .join(Person, Person.id == cert.person_id)
            .outerjoin(Department, Department.id == Person.department_id)
            .where(cert.institution_id == institution_id, Person.institution_id == institution_id,
                   Person.status.in_(ACTIVE_STATUSES), cert.valid_until.is_not(None), cert.valid_until <= limit,
                   ~renewed.exists())
            .order_by(cert.valid_until, Person.name, cert.id))


def _missing(institution_id: int):
    cert = PracticeCertificate
    has_certificate = select(cert.id).where(cert.person_id == Person.id).exists()
    needs = or_(Person.staff_category.in_(PHYSICIANS), Person.practice_category.is_not(None),
                and_(Person.staff_category.in_(NURSES), Person.nurse_certificate_no.is_(None)))
    return (select(Person.id.label("person_id"), Person.name, Person.staff_no, Department.name.label("department"),
                   Person.staff_category, Person.practice_category)
            .outerjoin(Department, Department.id == Person.department_id)
            .where(Person.institution_id == institution_id, Person.status.in_(ACTIVE_STATUSES), needs,
                   ~has_certificate)
            .order_by(Department.name, Person.staff_no.is_(None), Person.staff_no, Person.name, Person.id))


def _total(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def report(institution_id: int, days: int = DEFAULT_DAYS, today=None, limit=SHOWN) -> dict:
    """{"expiring": rows, "expiring_total", "missing": rows, "missing_total", "limit_date"}: each row a dict; an
    expiring row has days_left (negative: expired that many days ago); `limit`: rows of each list (None: all)."""
    today = today or datetime.date.today()
    names = {t: {d.code: d.name for d in items}
             for t, items in dictionaries.items_of({"practice_category", "staff_category"}, active_only=False).items()}
    expiring, missing = _expiring(institution_id, days, today), _missing(institution_id)
    if limit is not None:
        expiring, missing = expiring.limit(limit), missing.limit(limit)
    out_expiring = []
    for rec in db.session.execute(expiring).mappings():
        row = dict(rec)
        row["days_left"] = (rec["valid_until"] - today).days
        row["category_name"] = names["practice_category"].get(rec["category"] or "", "")
        out_expiring.append(row)
    out_missing = []
    for rec in db.session.execute(missing).mappings():
        row = dict(rec)
        row["staff_category_name"] = names["staff_category"].get(rec["staff_category"] or "", "")
        row["practice_category_name"] = names["practice_category"].get(rec["practice_category"] or "", "")
        out_missing.append(row)
    return {"expiring": out_expiring, "expiring_total": _total(_expiring(institution_id, days, today)),
            "missing": out_missing, "missing_total": _total(_missing(institution_id)),
            "limit_date": today + datetime.timedelta(days=days), "today": today}


def state(days_left: int) -> str:
    return f"已过期 {-days_left} 天" if days_left < 0 else ("今天到期" if days_left == 0 else f"{days_left} 天后到期")


def workbook(institution: Institution, days: int = DEFAULT_DAYS, today=None) -> bytes:
    """Both lists in full, one sheet each."""
    data = report(institution.id, days, today, limit=None)
    expiring = [[r["staff_no"], r["name"], r["department"], r["certificate_no"], r["category_name"], r["valid_until"],
                 state(r["days_left"])] for r in data["expiring"]]
    missing = [[r["staff_no"], r["name"], r["department"], r["staff_category_name"], r["practice_category_name"]]
               for r in data["missing"]]
    return workbooks.sheets_workbook({
        f"{days}天内到期及已过期": (["工号", "姓名", "科室", "执业证书编号", "执业类别", "有效期至", "状态"], expiring),
        "须执业注册但无执业证书": (["工号", "姓名", "科室", "从事专业类别", "执业类别"], missing),
    }, width=18)
