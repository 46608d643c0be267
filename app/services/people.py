"""Staff records (spec 4.1–4.4): 基本信息 with its rules, the detail sets, photos. One rule set for every way in:
forms, the batch import and the API call `check_person` / `save_person` / `save_detail`."""
import datetime
import re
from dataclasses import dataclass

from flask import current_app, has_app_context
from sqlalchemy import func, literal_column, or_, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app.domain.dates import UNTIL_NOW, parse_date
from app.domain.errors import DomainError, ValidationFailed
from app.domain.person import (
    ACTIVE_STATUSES,
    CODED,
    LABELS,
    Checked,
    FieldIssue,
    check_basic,
    coded_fields,
    village_status_problem,
)
from app.extensions import db
from app.models.org import Department, Institution, Post
from app.models.people import Education, Person, PracticeCertificate, Qualification, TitleQualification, Training, WorkExperience
from app.services import concurrency, dictionaries, storage
from app.services.transaction import transaction, transactional

BASIC_FIELDS = tuple(LABELS)


def lookups() -> dict:
    """What the pure rules need from the dictionaries (read once per call site)."""
    every = dictionaries.items_of({*CODED.values(), "id_types", "staff_status", "mobile_prefixes"}, active_only=False)
    lists = {dtype: [d for d in values if d.active] for dtype, values in every.items()}
    dicts = {dtype: {d.code: d.name for d in lists[dtype]} for dtype in set(CODED.values())}
    id_types = {d.code: (d.name, (d.extra or {}).get("regex"), (d.extra or {}).get("check"))
                for d in lists["id_types"]}
    return {
        "dicts": dicts,
        "coded": coded_fields(dicts),
        "id_types": id_types,
        "statuses": offered_statuses(lists["staff_status"]),
        "known_statuses": frozenset(d.name for d in every["staff_status"]),
        "mobile_prefixes": {d.code for d in lists["mobile_prefixes"]},
    }


def offered_statuses(items, current=None) -> list[str]:
    """The 在职状态 a form or the import template offers: the dictionary's offered values that hold the ID number
    (离职/退休/其他 only through 员工离职), plus `current`, a record's stored value, so its edit form shows it."""
    names = [d.name for d in items if d.active and d.name in ACTIVE_STATUSES]
    return names + [current] if current and current not in names else names


def active_holder(id_number: str, exclude_person_id=None) -> Person | None:
    """The active record holding this ID number anywhere in the province, if any."""
    stmt = select(Person).where(Person.id_number == id_number, Person.status.in_(ACTIVE_STATUSES))
    if exclude_person_id:
        stmt = stmt.where(Person.id != exclude_person_id)
    return db.session.scalar(stmt.limit(1))


def holder_message(holder: Person) -> str:
    return f"该证件号码已在 {holder.institution.name} 在职，需原单位办理离职后方可录入"


class PersonLookup:
    """What `check_person` asks the database, one query per question (the single-entry form). The batch import
    passes `imports.checks.PrefetchedLookup`, which answers the same questions from maps read once per batch (a
    test holds the two to the same answers). A department / post is anything with id, name, active,
    institution_id and category."""

    def department(self, department_id: int):
        return db.session.get(Department, department_id)

    def post(self, post_id: int):
        return db.session.get(Post, post_id)

    def holder(self, id_number: str, person=None) -> Person | None:
        """The active record holding the number in the province, other than `person`."""
        return active_holder(id_number, person.id if person is not None else None)


def check_person(institution_id: int, raw: dict, person: Person | None = None, rules: dict | None = None,
                 lookup=None, *, stripped: bool = False, today=None) -> Checked:
    """Every rule of 基本信息 (`domain.person.check_basic`) plus the ones that need the database, asked through
    `lookup` (default: `PersonLookup`, a query each): department and post of this institution and in use, the
    村卫生室 status rule, one active record per ID number (a new record is refused for a number active elsewhere
    whatever its status). The 在职状态 cannot leave the active set here (离职须通过“员工离职”办理); `person`'s
    stored status is kept as it is. `rules`: `lookups()`, read once by a caller that checks
    many rows; `stripped` / `today`: see check_basic."""
    lookup = lookup or PersonLookup()
    checked = check_basic(raw, stripped=stripped, today=today, current_status=person.status if person else None,
                          **(rules or lookups()))
    values = checked.values
    refs = {}
    for key, find, label in (("department_id", lookup.department, "所在科室"), ("post_id", lookup.post, "岗位")):
        ref = values.get(key)
        if ref in (None, ""):
            values[key] = None
            continue
        row = find(int(ref)) if str(ref).isdigit() else None
        if row is None or row.institution_id != institution_id:
            checked.errors.append(FieldIssue(key, f"{label}须从本机构的{label}中选择"))
        elif not row.active and (person is None or getattr(person, key) != row.id):
            checked.errors.append(FieldIssue(key, f"{label}“{row.name}”已停用，请选择其他{label}"))
        else:
            values[key], refs[key] = row.id, row
    department = refs.get("department_id")
    if department is not None:
        village = village_status_problem(department.category, department.name, values.get("status"))
        if village:  # spec 4.2.7: refused, not warned
            checked.errors.append(village)
    number = values.get("id_number")
    # a new record (whatever its status) or an active one must not share the number with an active record
    # elsewhere; only an unchanged record that does not hold the number is left alone
    claims = person is None or values.get("status") in ACTIVE_STATUSES or number != person.id_number
    if number and claims and not any(e.field == "id_number" for e in checked.errors):
        holder = lookup.holder(number, person)
        if holder is not None:
            checked.errors.append(FieldIssue("id_number", holder_message(holder)))
    return checked


def shown_value(key, value):
    """A 基本信息 value as a person reads it (dictionary names, department / post names): for conflict messages."""
    if value in (None, ""):
        return "（空）"
    if key in CODED or key == "id_type":
        names = {d.code: d.name for d in dictionaries.items(CODED.get(key, "id_types"), active_only=False)}
        return names.get(str(value), str(value))
    if key in ("department_id", "post_id"):
        row = db.session.get(Department if key == "department_id" else Post, int(value)) if str(value).isdigit() else None
        return row.name if row is not None else str(value)
    return str(value)


def read_only_problem(person: Person | None) -> str | None:
    """A record no longer active (离职, 退休 … after the reviewed resignation, spec 4.4) is kept for reference and is
    read-only on every path: the form, its detail sets, the import. None when it may be changed."""
    if person is None or person.id is None or person.status in ACTIVE_STATUSES:
        return None
    return f"{person.name}的在职状态为“{person.status}”，档案只读（离职人员的信息保留备查，不能修改）"


def save_person(institution: Institution, raw: dict, person: Person | None = None, photo=None, version=None):
    """新增/修改 基本信息; returns (person, warnings). ValidationFailed lists every error as (field, message), so
    the form shows each next to its input (the photo's as "photo"). `version`: the version the form was opened
    with; a record changed since then is refused (EditConflict). One transaction: nothing is written on a refusal."""
    if read_only_problem(person):
        raise ValidationFailed([(None, read_only_problem(person))])
    base = concurrency.check(person, version, LABELS, shown_value) if person is not None else None
    try:
        with transaction(conflict=(person, base, LABELS, shown_value) if person is not None else None) as session:
            checked = check_person(institution.id, raw, person, lookup=PersonLookup())
            errors = list(checked.errors)
            accepted = None
            if photo:
                try:
                    accepted = storage.check_upload(photo, field_label="照片", kinds={"jpeg", "png"},
                                                    max_bytes=storage.IMAGE_MAX)
                except DomainError as exc:
                    errors.append(("photo", exc.message))
            if errors:
                raise ValidationFailed(errors)
            stored = accepted.store() if accepted else None  # only now: a refused form leaves no file behind
            person = person or Person(institution_id=institution.id)
            for key in BASIC_FIELDS:
                if key in checked.values:
                    setattr(person, key, checked.values[key] if checked.values[key] != "" else None)
            if stored:
                person.photo_path, person.photo_thumb = stored.path, stored.thumb_path
            new = person.id is None
            session.add(person)
            if new:  # a person released by another institution on request: the request is done
                from app.services import transfers

                transfers.complete_for(institution.id, person.id_number)
    except IntegrityError:
        # Two clerks saving the same ID at once: the partial unique index is the last word (rolled back by now).
        holder = active_holder(checked.values.get("id_number"), person.id)
        message = holder_message(holder) if holder else "证件号码与已有人员重复"
        raise ValidationFailed([("id_number", message)]) from None
    return person, [w.message for w in checked.warnings]


def get_person(scope, person_id, *, details=False) -> Person:
    """A person the caller's scope includes (DomainError otherwise: views answer 404), department and post loaded
    with it; `details`: every detail set too, one statement per set (the person page: a fixed number of
    statements whatever the entries)."""
    options = [joinedload(Person.department), joinedload(Person.post)]
    if details:
        options += [selectinload(getattr(Person, s.relation)) for s in DETAIL_SETS.values()]
    person = db.session.get(Person, person_id, options=options)
    if person is None or not scope.allows_institution(person.institution_id):
        raise DomainError("人员不存在，或不在您的权限范围内")
    return person


def find_people(institution_id: int, text: str, limit: int = 20):
    """Find staff of an institution by 证件号码 or 姓名 (spec 4.2.3)."""
    text = (text or "").strip()
    if not text:
        return []
    stmt = select(Person).where(Person.institution_id == institution_id,
                                or_(Person.id_number == text.upper(), Person.name.contains(text)))
    return list(db.session.scalars(stmt.order_by(Person.name).limit(limit)))


# ---- the staff list: search, sorting, page sizes ------------------------------------------------------------------

PAGE_SIZES = (20, 50, 100)
# SQL of the last four characters of 证件号码: the expression index ix_person_inst_id_tail is built on exactly this
# text (an index on an expression is used only when the query spells the same expression).
ID_TAIL_SQL = "substr(id_number, length(id_number) - 3)"
ID_FRAGMENT_MIN = 4
MASKED_FRAGMENT_MAX = 4  # without 查看完整证件号 only the shown characters (first 4, last 4) may be searched
SORTS = {"staff_no": (Person.staff_no,), "name": (Person.name,), "sex": (Person.sex,), "id_number": (Person.id_number,),
         "department_id": (Department.name,), "post_id": (Post.name,), "status": (Person.status,)}


def is_id_fragment(text: str) -> bool:
    body = text[:-1] if text[-1:] == "X" else text
    return len(text) >= ID_FRAGMENT_MIN and body.isdigit()


def search_condition(institution_id: int, text: str, full_ids: bool):
    """(where-clause, notice) of the list's search box: 姓名 (part), 工号, or 证件号码 — the full number, its first
    characters (index (institution_id, id_number), a range) or its last characters (expression index on the last
    four, then the whole suffix); the branches are a UNION of ids so each uses its own index. Without
    查看完整证件号 a part of a number may be only what the list shows (the first or last four characters); a longer
    part is refused with a notice, never searched."""
    text = (text or "").strip().upper()
    if not text:
        return None, None
    if not is_id_fragment(text):
        return or_(Person.name.contains(text, autoescape=True), Person.staff_no == text), None

    def ids(*where):
        return select(Person.id).where(Person.institution_id == institution_id, *where)

    by_staff_no = ids(Person.staff_no == text)
    if not full_ids and len(text) > MASKED_FRAGMENT_MAX:
        if len(text) in (15, 18):
            return Person.id.in_(union(ids(Person.id_number == text), by_staff_no)), None
        return Person.id.in_(by_staff_no), (
            f"证件号码：没有“查看完整证件号”权限时，只能按显示出的前 {MASKED_FRAGMENT_MAX} 位、"
            f"后 {MASKED_FRAGMENT_MAX} 位或完整证件号码查找")
    upper = text[:-1] + chr(ord(text[-1]) + 1)
    tail = literal_column(ID_TAIL_SQL)  # unqualified: SQLite matches the index expression only as written
    suffix = [tail == text[-4:]]
    if len(text) > 4:
        suffix.append(Person.id_number.endswith(text, autoescape=True))
    return Person.id.in_(union(ids(Person.id_number >= text, Person.id_number < upper), ids(*suffix),
                               by_staff_no)), None


LEFT_FILTER = "离职人员"  # the staff list's filter of everyone no longer active (离职, 退休, …), read-only there


def list_statement(institution_id: int, *, text="", full_ids=True, department_ids=None, status="", sort="",
                   descending=False, conditions=None):
    """(select of the institution's staff for the list, notice): filters, then the chosen order (a column of
    LIST_COLUMNS; 证件号码 only for those who see it in full), ties by 工号, 姓名, id. `conditions`: the WHERE of a
    statistic's cell (services/stats.py staff_clause, the drill-down), which carries its own 在职状态 rule."""
    stmt = select(Person).where(Person.institution_id == institution_id)
    if conditions is not None:
        stmt = stmt.where(*conditions)
    condition, notice = search_condition(institution_id, text, full_ids)
    if condition is not None:
        stmt = stmt.where(condition)
    if department_ids is not None:
        stmt = stmt.where(Person.department_id.in_(department_ids))
    if status == LEFT_FILTER:
        stmt = stmt.where(Person.status.not_in(ACTIVE_STATUSES))
    elif status:
        stmt = stmt.where(Person.status == status)
    elif conditions is None:  # the staff in post; former staff are read in the 离职人员 filter (spec 4.4)
        stmt = stmt.where(Person.status.in_(ACTIVE_STATUSES))
    order = []
    if sort in SORTS and (sort != "id_number" or full_ids):
        if sort == "department_id":
            stmt = stmt.outerjoin(Department, Department.id == Person.department_id)
        elif sort == "post_id":
            stmt = stmt.outerjoin(Post, Post.id == Person.post_id)
        order = [c.desc() if descending else c.asc() for c in SORTS[sort]]
    return stmt.order_by(*order, Person.staff_no.is_(None), Person.staff_no, Person.name, Person.id), notice


def count_people(institution_id: int) -> int:
    return db.session.scalar(select(func.count(Person.id)).where(Person.institution_id == institution_id))


# ---- detail sets -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str = "text"  # text | date | end_date (至今 allowed) | code:<dict type>
    required: bool = False
    limit: int = 100


@dataclass(frozen=True)
class DetailSet:
    key: str
    label: str
    model: type
    fields: tuple
    relation: str
    # the fields that tell one entry of a person from another: a second entry with the same values is a duplicate
    # (the form refuses it; the import updates the entry it matches, so re-running a file never duplicates)
    natural_key: tuple = ()

    @property
    def attachment_required(self) -> bool:
        """单条录入 of this set needs an attachment image (spec 4.2.3; which sets: `attachment_sets`)."""
        return self.key in attachment_sets()


DETAIL_SETS = {
    s.key: s for s in (
        DetailSet("work", "工作经历", WorkExperience, (
            Field("start_date", "起始日期", "date", True), Field("end_date", "截止日期", "end_date"),
            Field("employer", "工作单位", required=True), Field("position", "职务/岗位", limit=50)),
            "work_experiences", ("start_date", "employer")),
        DetailSet("education", "教育经历", Education, (
            Field("start_date", "入学日期", "date"), Field("end_date", "毕业日期", "date"),
            Field("school", "毕业学校", required=True), Field("major", "所学专业", limit=50),
            Field("education", "学历", "code:education", True), Field("degree", "学位", "code:degree"),
            Field("certificate_no", "毕业证书编号", limit=50)), "educations", ("school", "education")),
        DetailSet("title", "专业技术资格", TitleQualification, (
            Field("title_name", "资格名称", required=True, limit=50),
            Field("level", "资格级别", "code:tech_title_level", True),
            Field("obtained_on", "取得日期", "date", True), Field("certificate_no", "证书编号", limit=50)),
            "titles", ("title_name", "level")),
        DetailSet("qualification", "资格证书", Qualification, (
            Field("kind", "证书类型", required=True, limit=50), Field("certificate_no", "证书编号", required=True, limit=50),
            Field("category", "类别", "code:practice_category"), Field("obtained_on", "取得日期", "date", True)),
            "qualifications", ("kind", "certificate_no")),
        DetailSet("practice", "执业证书", PracticeCertificate, (
            Field("certificate_no", "执业证书编号", required=True, limit=50),
            Field("category", "执业类别", "code:practice_category"), Field("scope", "执业范围", "code:practice_scope"),
            Field("registered_on", "注册日期", "date", True), Field("valid_until", "有效期至", "end_date"),
            Field("practice_place", "执业地点")), "practice_certificates", ("certificate_no",)),
        DetailSet("training", "培训经历", Training, (
            Field("start_date", "起始日期", "date", True), Field("end_date", "截止日期", "end_date"),
            Field("organiser", "培训机构", required=True), Field("content", "培训内容", limit=200)),
            "trainings", ("start_date", "organiser")),
    )
}


def attachment_sets(config=None) -> frozenset:
    """The detail sets whose 单条录入 needs an attachment (spec 4.2.3: all of them). A province changes the list
    with the setting DETAIL_ATTACHMENT_SETS (config.py, from the environment): set keys or names, separated by
    commas, e.g. "education,title,qualification,practice" or "教育经历，资格证书"; empty = none. The batch import
    never needs one: attachments come afterwards by 附件批量导入 (spec 4.2.5). A name that is not a set stops the
    start (create_app calls this) rather than silently dropping the rule."""
    if config is None:
        config = current_app.config if has_app_context() else {}
    value = config.get("DETAIL_ATTACHMENT_SETS", None)
    if value is None:
        return frozenset(DETAIL_SETS)
    names = [n.strip() for n in (re.split(r"[,，、;\s]+", value) if isinstance(value, str) else value)]
    by_name = {**{k: k for k in DETAIL_SETS}, **{s.label: k for k, s in DETAIL_SETS.items()}}
    unknown = [n for n in names if n and n not in by_name]
    if unknown:
        raise RuntimeError(f"DETAIL_ATTACHMENT_SETS: {'、'.join(unknown)} 不是详细信息类别；可用："
                           + "、".join(f"{k}（{s.label}）" for k, s in DETAIL_SETS.items()))
    return frozenset(by_name[n] for n in names if n)


def check_detail(detail_set: DetailSet, raw: dict, person: Person | None = None) -> tuple[dict, list[FieldIssue]]:
    """Rules of one detail entry: required fields, dates (至今 where a period may still run), dictionary codes,
    the end not before the start, nothing after today except a validity date."""
    values, errors = {}, []
    today = datetime.date.today()
    for f in detail_set.fields:
        v = raw.get(f.key)
        v = v.strip() if isinstance(v, str) else v
        if v in (None, ""):
            if f.required:
                errors.append(FieldIssue(f.key, f"{f.label}不能为空"))
            values[f.key] = None
            continue
        if f.kind in ("date", "end_date"):
            try:
                parsed = parse_date(v, f.label, allow_until_now=f.kind == "end_date")
            except ValueError as exc:
                errors.append(FieldIssue(f.key, str(exc)))
                parsed = None
            if parsed == UNTIL_NOW:
                parsed = None  # stored as None: 至今 / 长期
            elif parsed and parsed > today and f.key != "valid_until":
                errors.append(FieldIssue(f.key, f"{f.label}不能晚于今天"))
            values[f.key] = parsed
        elif f.kind.startswith("code:"):
            codes = {d.code for d in dictionaries.items(f.kind[5:])}
            if str(v) not in codes:
                errors.append(FieldIssue(f.key, f"{f.label}须从下拉列表中选择（当前：{v}）"))
            values[f.key] = str(v)
        else:
            if len(str(v)) > f.limit:
                errors.append(FieldIssue(f.key, f"{f.label}不能超过 {f.limit} 个字"))
            values[f.key] = str(v)
    start = values.get("start_date") or values.get("registered_on")
    end = values.get("end_date") if "end_date" in values else values.get("valid_until")
    if start and end and end < start:
        errors.append(FieldIssue("end_date" if "end_date" in values else "valid_until", "截止日期不能早于起始日期"))
    if person is not None and person.birth_date and start and start < person.birth_date:
        errors.append(FieldIssue("start_date", "起始日期不能早于出生日期"))
    return values, errors


def _detail_labels(detail_set):
    return {f.key: f.label for f in detail_set.fields}


def duplicate_entry(person: Person, detail_set: DetailSet, values: dict, entry=None):
    """Another entry of this person in the set with the same natural key (`DetailSet.natural_key`), if any."""
    key = {k: values.get(k) for k in detail_set.natural_key}
    if person.id is None or not key or any(v in (None, "") for v in key.values()):
        return None
    model = detail_set.model
    stmt = select(model).where(model.person_id == person.id, *(getattr(model, k) == v for k, v in key.items()))
    if entry is not None and entry.id is not None:
        stmt = stmt.where(model.id != entry.id)
    return db.session.scalar(stmt.limit(1))


def duplicate_message(person: Person, detail_set: DetailSet) -> str:
    keys = "、".join(f.label for f in detail_set.fields if f.key in detail_set.natural_key)
    return f"与已有记录重复：{person.name} 已有一条{keys}相同的{detail_set.label}，请修改那一条，不要重复录入"


def save_detail(person: Person, set_key: str, raw: dict, uploads=(), entry=None, version=None, *,
                batch=False):
    """新增/修改 one detail entry; an attachment is required for the sets of `attachment_sets` (spec 4.2.3), except
    for `batch` entries (the REST API, like the batch import: attachments come afterwards by 附件批量导入).
    ValidationFailed names each field (the attachments' problems as "attachments"; a duplicate entry names none).
    `version`: the version the form was opened with; an entry changed since then is refused (EditConflict)."""
    detail_set = DETAIL_SETS.get(set_key)
    if detail_set is None:
        raise DomainError("信息类别不存在")
    if read_only_problem(person):
        raise ValidationFailed([(None, read_only_problem(person))])
    labels = _detail_labels(detail_set)
    base = concurrency.check(entry, version, labels) if entry is not None else None
    with transaction(conflict=(entry, base, labels) if entry is not None else None):
        return _write_detail(person, detail_set, raw, uploads, entry, batch)


def _write_detail(person: Person, detail_set: DetailSet, raw: dict, uploads, entry, batch=False):
    values, issues = check_detail(detail_set, raw, person)
    errors = list(issues)
    accepted = []
    for upload in [u for u in uploads if u]:
        try:
            accepted.append(storage.check_upload(upload, field_label=f"{detail_set.label}附件", kinds={"jpeg", "png"},
                                                 max_bytes=storage.IMAGE_MAX))
        except DomainError as exc:
            errors.append(("attachments", exc.message))
    duplicate = None if errors else duplicate_entry(person, detail_set, values, entry)
    if duplicate is not None:
        errors.append(duplicate_message(person, detail_set))
    existing = list(entry.attachments or []) if entry is not None else []
    if detail_set.attachment_required and not batch and not accepted and not existing:
        errors.append(("attachments", f"{detail_set.label}须上传附件图片（JPG 或 PNG，不超过 3 MB）；没有附件请使用批量导入"))
    if errors:
        raise ValidationFailed(errors)
    stored = [{"path": s.path, "thumb": s.thumb_path, "filename": s.original_filename}
              for s in storage.store_all(accepted)]
    if entry is None:
        entry = detail_set.model(person_id=person.id, institution_id=person.institution_id)
        db.session.add(entry)
    for key, value in values.items():
        setattr(entry, key, value)
    entry.attachments = existing + stored
    return entry


def get_detail(scope, set_key, entry_id):
    detail_set = DETAIL_SETS.get(set_key)
    entry = db.session.get(detail_set.model, entry_id) if detail_set else None
    if entry is None or not scope.allows_institution(entry.institution_id):
        raise DomainError("记录不存在")
    return detail_set, entry


@transactional
def delete_detail(scope, set_key, entry_id) -> None:
    _, entry = get_detail(scope, set_key, entry_id)
    owner = db.session.get(Person, entry.person_id)
    if read_only_problem(owner):
        raise DomainError(read_only_problem(owner))
    db.session.delete(entry)
