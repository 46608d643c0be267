"""基本信息 rules of a staff record (spec 4.2.1, 4.2.4): one set of checks for the form, the import and the API.

Pure: the caller passes the dictionaries (code → name per type), the ID-type rules and today's date; the result
is the cleaned values plus every error and warning, each naming its field.
"""
import datetime
import re
from dataclasses import dataclass, field

from app.domain.dates import parse_date
from app.domain.id_number import citizen_rule, derived_birth_and_sex, id_problems_by_type
from app.domain.phone import mobile_problems, mobile_warning

# Statuses that hold the ID number (spec 4.4: one active record per ID number across the province); the partial
# unique index of models/people.py is built from this list (ACTIVE_STATUS_SQL).
ACTIVE_STATUSES = ("在岗", "医师资格考试试用期考核人员", "借调", "长期病休")
PROBATION_STATUS = "医师资格考试试用期考核人员"
MAJOR_REQUIRED_EDUCATION = {"1", "2", "3"}  # 研究生, 大学本科, 大专 (spec 4.2.4 (6))
MIN_WORK_AGE = 14
# spec 4.4: a status outside ACTIVE_STATUSES frees the ID number, so it is reached only through the reviewed
# resignation (员工离职), never typed in the form or the import
LEAVING_ONLY_BY_WORKFLOW = "离职须通过“员工离职”办理"

LABELS = {
    "staff_no": "工号", "name": "姓名", "id_type": "证件类型", "id_number": "证件号码", "sex": "性别",
    "birth_date": "出生日期", "ethnicity": "民族", "political": "政治面貌", "phone": "手机号码",
    "work_start": "参加工作日期", "department_id": "所在科室", "post_id": "岗位", "status": "在职状态",
    "staff_category": "从事专业类别", "establishment": "编制情况", "education": "学历", "major": "所学专业",
    "degree": "学位", "tech_title": "专业技术资格(评)", "tech_post": "专业技术职务(聘)",
    "practice_category": "执业类别", "practice_scope": "执业范围", "admin_post": "行政/业务管理职务",
    # 卫统信息: the items of the 卫生人力基本信息调查表 (app/data/hr_basic_fields.csv) the record had no field for
    "office_phone": "办公室电话号码", "multisite": "是否多地点执业医师",
    "multisite_unit2": "第2执业单位的机构类别", "multisite_unit3": "第3执业单位的机构类别",
    "resident_training": "是否获得国家住院医师规范化培训合格证书", "resident_training_no": "住院医师规范化培训合格证书编码",
    "specialties": "专科特长", "gp_registered": "是否注册为全科医学专业", "gp_certificate": "全科医生取得培训合格证书情况",
    "village_posted": "是否由乡镇卫生院或社区卫生服务机构派驻村卫生室工作", "stats_it": "是否从事统计信息化业务工作",
    "stats_it_work": "统计信息化业务工作内容", "nurse_certificate_no": "护士执业证书编码",
    "village_doctor_certificate_no": "乡村医生执业证书编号",
}
# field → dictionary type of its dropdown
CODED = {
    "sex": "sex", "ethnicity": "ethnicity", "political": "political_status", "staff_category": "staff_category",
    "establishment": "establishment", "education": "education", "degree": "degree", "tech_title": "tech_title_level",
    "tech_post": "tech_title_level", "practice_category": "practice_category", "practice_scope": "practice_scope",
    "admin_post": "admin_post",
    "multisite": "yes_no", "multisite_unit2": "multisite_unit_type", "multisite_unit3": "multisite_unit_type",
    "resident_training": "yes_no", "gp_registered": "yes_no", "gp_certificate": "gp_certificate",
    "village_posted": "yes_no", "stats_it": "yes_no", "stats_it_work": "stats_it_work",
}
YES, NO = "1", "2"  # dictionary yes_no (the 卫统 codes of its 是/否 items)
# a field filled only when its 是/否 field says 是: (field, the 是/否 field)
ONLY_IF_YES = (("multisite_unit2", "multisite"), ("multisite_unit3", "multisite"),
               ("resident_training_no", "resident_training"), ("stats_it_work", "stats_it"))
# free-text fields with a length limit (characters); 专科特长: at most SPECIALTIES_MAX, separated by 、，, or ;
TEXT_LIMITS = {"office_phone": 20, "resident_training_no": 50, "specialties": 100, "nurse_certificate_no": 50,
               "village_doctor_certificate_no": 50}
SPECIALTIES_MAX = 3
OFFICE_PHONE_RE = re.compile(r"^[0-9][0-9\-]{5,18}[0-9]$")
REQUIRED = ("name", "id_type", "id_number", "sex", "birth_date", "status", "department_id")
# 黄色五角星 (spec 4.2): important fields every institution must fill; they make the completeness figure.
IMPORTANT = ("name", "id_type", "id_number", "sex", "birth_date", "ethnicity", "phone", "work_start", "department_id",
             "post_id", "status", "staff_category", "establishment", "education", "tech_title", "political")


@dataclass
class FieldIssue:
    field: str
    message: str

    @property
    def label(self):
        return LABELS.get(self.field, self.field)


@dataclass(slots=True)
class Checked:
    values: dict
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def messages(self):
        return [e.message for e in self.errors]


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def coded_fields(dicts: dict) -> tuple:
    """(field, its dictionary's codes) for every coded field: what `check_basic` looks values up in, prepared once
    by a caller that checks many rows (`services.people.lookups`)."""
    return tuple((f, dicts.get(dtype, {})) for f, dtype in CODED.items())


def status_problem(status, statuses, known_statuses=(), current_status=None) -> str | None:
    """The 在职状态 rule: a value of the dropdown (`statuses`, the offered ones) that holds the ID number
    (ACTIVE_STATUSES); any other known status (离职, 退休, 其他 — `known_statuses`, the whole list) only through the
    resignation workflow. `current_status`: the record's stored value, kept as it is (an edit that does not change
    the status is never refused because of it)."""
    if status is None or status == current_status:
        return None
    if status not in ACTIVE_STATUSES and (status in statuses or status in known_statuses):
        return f"在职状态不能直接设为“{status}”：{LEAVING_ONLY_BY_WORKFLOW}"
    if status not in statuses:
        return f"在职状态须从下拉列表中选择（当前：{status}）"
    return None


def check_basic(raw: dict, *, dicts: dict, id_types: dict, statuses, mobile_prefixes=(), today=None,
                stripped=False, coded=None, known_statuses=(), current_status=None) -> Checked:
    """Every rule of 基本信息. `dicts`: type → {code: name}; `id_types`: code → (name, regex, check); `coded`:
    `coded_fields(dicts)` when the caller has it; `statuses` / `known_statuses` / `current_status`: see
    `status_problem`.

    The import calls this once per row (100,000 rows in a big file), so it avoids repeated work: values are
    stripped once, and blank means None after that (`stripped`: the caller has done so already)."""
    today = today or datetime.date.today()
    if stripped:
        values = dict(raw)
    else:
        values = {k: ((v.strip() or None) if v.__class__ is str else v) for k, v in raw.items()}
    get = values.get
    errors = []
    out = Checked(values=values, errors=errors)

    # 证件类型 / 证件号码 first: what an 18-digit citizen number tells answers a blank 性别 / 出生日期
    id_type, number = get("id_type"), (get("id_number") or "").upper()
    values["id_number"] = number or None
    citizen = False  # the number is of a type whose birth date and sex come from it
    if id_type and id_type in id_types:
        citizen = citizen_rule(id_types[id_type][2])
    derived_birth = derived_sex = None
    id_errors = ()
    if id_type and id_type not in id_types:
        id_errors = (FieldIssue("id_type", f"证件类型须从下拉列表中选择（当前：{id_type}）"),)
    elif id_type and number:
        type_name, regex, check = id_types[id_type]
        problems = id_problems_by_type(number, type_name, regex, check, today=today)
        id_errors = [FieldIssue("id_number", p) for p in problems]
        derived = derived_birth_and_sex(number, check) if not problems and citizen else None
        if derived:
            derived_birth, derived_sex = derived
    # "…不能为空" is not said of 出生日期 / 性别 when the number gives them — nor when a wrong 居民身份证 number was
    # meant to: it would only hide the real problem (the number), which is reported
    answered = ("birth_date", "sex") if derived_birth or (citizen and id_errors) else ()

    for f in REQUIRED:
        if get(f) is None and f not in answered:
            errors.append(FieldIssue(f, f"{LABELS[f]}不能为空"))
    name, staff_no = get("name"), get("staff_no")
    if name and len(name) > 50:
        errors.append(FieldIssue("name", "姓名不能超过 50 个字"))
    if name and any(c.isdigit() for c in name):
        errors.append(FieldIssue("name", f"姓名不能包含数字（当前：{name}）"))
    if staff_no and len(staff_no) > 30:
        errors.append(FieldIssue("staff_no", "工号不能超过 30 位"))
    errors += id_errors

    for f, codes in coded if coded is not None else coded_fields(dicts):
        v = get(f)
        if v is not None and str(v) not in codes:
            errors.append(FieldIssue(f, f"{LABELS[f]}须从下拉列表中选择（当前：{v}）"))
    problem = status_problem(get("status"), statuses, known_statuses, current_status)
    if problem:
        errors.append(FieldIssue("status", problem))

    # dates
    for f, label in (("birth_date", "出生日期"), ("work_start", "参加工作日期")):
        v = get(f)
        if v is None:
            continue
        try:
            v = values[f] = parse_date(v, label)
        except ValueError as exc:
            errors.append(FieldIssue(f, str(exc)))
            values[f] = None
            continue
        if v and v > today:
            errors.append(FieldIssue(f, f"{label}不能晚于今天"))
    if derived_birth:
        if get("birth_date") and values["birth_date"] != derived_birth:
            errors.append(FieldIssue("birth_date", f"出生日期与证件号码中的出生日期（{derived_birth:%Y-%m-%d}）不一致"))
        values["birth_date"] = get("birth_date") or derived_birth
    if derived_sex:
        sex = get("sex")
        if sex is not None and str(sex) in ("1", "2") and str(sex) != derived_sex:
            expected = dicts.get("sex", {}).get(derived_sex, derived_sex)
            digit = 17 if len(number) == 18 else 15
            errors.append(FieldIssue("sex", f"性别与证件号码不一致：按证件号码第 {digit} 位应为{expected}"))
        values["sex"] = sex if sex is not None else derived_sex
    birth, work = get("birth_date"), get("work_start")
    if birth and work:
        try:
            limit = birth.replace(year=birth.year + MIN_WORK_AGE)
        except ValueError:  # 29 February
            limit = birth.replace(year=birth.year + MIN_WORK_AGE, day=28)
        if work < limit:
            errors.append(FieldIssue("work_start",
                                     f"参加工作日期须在出生满 {MIN_WORK_AGE} 周岁之后（不早于 {limit:%Y-%m-%d}）"))

    # 手机号码: refused when malformed, a warning for an unallocated prefix
    phone = get("phone")
    if phone is not None:
        problems = mobile_problems(phone)
        for p in problems:
            errors.append(FieldIssue("phone", p))
        warning = None if problems else mobile_warning(phone, mobile_prefixes)
        if warning:
            out.warnings.append(FieldIssue("phone", warning))

    _hr_item_problems(get, errors)

    # 所学专业 required from 大专 up (spec 4.2.4 (6))
    if str(get("education") or "") in MAJOR_REQUIRED_EDUCATION and get("major") is None:
        errors.append(FieldIssue("major", "学历为大专及以上时，所学专业不能为空"))
    return out


def split_specialties(text) -> list[str]:
    """专科特长 as its items (the 卫统 item 27 has up to three)."""
    return [p.strip() for p in re.split(r"[、，,;；]+", text or "") if p.strip()]


def _hr_item_problems(get, errors):
    """Rules of the 卫统信息 fields: lengths, the office phone's form, at most three 专科特长, and a field that
    belongs to a 是/否 answer filled only when that answer is 是."""
    for f, limit in TEXT_LIMITS.items():
        v = get(f)
        if v is not None and len(str(v)) > limit:
            errors.append(FieldIssue(f, f"{LABELS[f]}不能超过 {limit} 个字"))
    phone = get("office_phone")
    if phone is not None and len(str(phone)) <= TEXT_LIMITS["office_phone"] and not OFFICE_PHONE_RE.match(str(phone)):
        errors.append(FieldIssue("office_phone", f"办公室电话号码只能由数字和“-”组成，如 027-87654321（当前：{phone}）"))
    specialties = get("specialties")
    if specialties is not None and len(split_specialties(specialties)) > SPECIALTIES_MAX:
        errors.append(FieldIssue("specialties", f"专科特长最多填写 {SPECIALTIES_MAX} 项，用“、”分隔"))
    for f, flag in ONLY_IF_YES:
        if get(f) is not None and str(get(flag) or "") != YES:
            errors.append(FieldIssue(f, f"{LABELS[f]}：仅当“{LABELS[flag]}”为“是”时填写"))


VILLAGE_CLINIC = "村卫生室"  # the department category of village clinic staff (spec 4.2.7)


def village_status_problem(department_category, department_name, status) -> FieldIssue | None:
    """spec 4.2.7: a person entered under a 村卫生室 department is there for the physician exam, so while in post
    their 在职状态 must be 医师资格考试试用期考核人员 (refused otherwise). A status out of post (离职, 退休…) stays
    possible: the person must be able to leave, or the ID number would stay held here."""
    if department_category != VILLAGE_CLINIC or status == PROBATION_STATUS or status not in ACTIVE_STATUSES:
        return None
    return FieldIssue("status", f"所在科室“{department_name}”是村卫生室：村卫生室人员的在职状态须为“{PROBATION_STATUS}”"
                                f"（当前为“{status}”）")


def completeness(values: dict) -> tuple[int, list[str]]:
    """Percentage of the important (starred) fields filled, and the labels of those missing."""
    missing = [LABELS[f] for f in IMPORTANT if _blank(values.get(f))]
    return round(100 * (len(IMPORTANT) - len(missing)) / len(IMPORTANT)), missing


def mask_id(number: str | None) -> str:
    """4201**********0159: the first four and last four characters."""
    if not number:
        return ""
    return number[:4] + "*" * max(len(number) - 8, 0) + number[-4:] if len(number) > 8 else number
