"""Institution profile (spec 3.1): editable fields, branches, files, 主体信息 change requests, regional creation."""
import datetime
import re
import secrets

from sqlalchemy import false, func, select

from app.domain import review
from app.domain.dates import parse_date
from app.domain.errors import DomainError, ValidationFailed
from app.domain.uscc import uscc_problems
from app.extensions import db
from app.models.enums import INSTITUTION_KINDS
from app.models.org import Branch, Institution, InstitutionFieldHistory, InstitutionFile, Region
from app.models.workflow import ChangeRequest, LocationReport
from app.services import concurrency, dictionaries, reviews, storage
from app.services.scope import scope_of
from app.services.transaction import transaction, transactional

# 主体信息: read-only for the institution; changed only through an approved change request.
SUBJECT_FIELDS = {
    "name": "机构名称", "code": "统一社会信用代码", "kind": "机构类型", "category": "机构类别",
    "economic_type": "经济类型", "grade": "机构级别", "legal_representative": "法定代表人",
    "registration_authority": "登记机关",
}
EDITABLE_FIELDS = {
    "address": "地址", "postcode": "邮政编码", "phone": "联系电话", "email": "电子邮箱", "website": "网址",
    "beds": "编制床位", "opened_on": "开业日期", "head": "负责人", "head_phone": "负责人电话",
    "latitude": "纬度", "longitude": "经度", "description": "机构简介",
}
# 主体信息 fields chosen from a national code list (app/data/<type>.csv); the name is stored, so values typed
# before the lists existed still display; a changed value must be one of the list.
SUBJECT_DICTIONARIES = {"category": "institution_category", "economic_type": "economic_type",
                        "grade": "institution_grade", "registration_authority": "registration_authority"}
FILE_KINDS = ("执业许可证", "法人登记证书", "营业执照", "其他")
LAT_RANGE, LNG_RANGE = (3.0, 54.0), (73.0, 136.0)  # China
LOCATION_MINUTES = 10
STATUS_LABELS = review.LABELS


def coordinate_problems(lat, lng, label="") -> tuple[list[tuple[str, str]], float | None, float | None]:
    """Both blank, or both numbers inside China's ranges (纬度 3–54, 经度 73–136); problems as (field, message)."""
    errors, values = [], []
    for raw, name, field, (low, high) in ((lat, "纬度", "latitude", LAT_RANGE), (lng, "经度", "longitude", LNG_RANGE)):
        raw = "" if raw is None else str(raw).strip()
        if raw == "":
            values.append(None)
            continue
        try:
            number = float(raw)
        except ValueError:
            errors.append((field, f"{label}{name}须为数字（如 30.35），当前：{raw}"))
            values.append(None)
            continue
        if not low <= number <= high:
            errors.append((field, f"{label}{name}须在 {low:g}–{high:g} 之间（中国境内），当前：{raw}"))
        values.append(number)
    if not errors and (values[0] is None) != (values[1] is None):
        errors.append(("latitude" if values[0] is None else "longitude", f"{label}纬度和经度须同时填写"))
    return errors, values[0], values[1]


def _text(values, key, limit, label, errors, pattern=None, rule=""):
    value = (values.get(key) or "").strip()
    if len(value) > limit:
        errors.append((key, f"{label}不能超过 {limit} 个字"))
    elif value and pattern and not re.match(pattern, value):
        errors.append((key, f"{label}{rule}，当前：{value}"))
    return value or None


def update_profile(institution, values: dict, version=None) -> None:
    """确认保存 of the editable fields; every error at once, nothing saved when one is wrong. `version`: the version
    the form was opened with (an institution changed since then — here or by an approved change request — is
    refused: EditConflict)."""
    base = concurrency.check(institution, version, {**EDITABLE_FIELDS, **SUBJECT_FIELDS})
    errors = []
    cleaned = {
        "address": _text(values, "address", 200, "地址", errors),
        "postcode": _text(values, "postcode", 6, "邮政编码", errors, r"^\d{6}$", "须为 6 位数字"),
        "phone": _text(values, "phone", 30, "联系电话", errors, r"^[\d\-+() ]{7,30}$", "只能包含数字和 - ( ) +"),
        "email": _text(values, "email", 100, "电子邮箱", errors, r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "格式不正确"),
        "website": _text(values, "website", 200, "网址", errors, r"^(https?://)?[\w.-]+\.[a-zA-Z]{2,}(/\S*)?$",
                         "格式不正确"),
        "head": _text(values, "head", 50, "负责人", errors),
        "head_phone": _text(values, "head_phone", 20, "负责人电话", errors, r"^[\d\-+() ]{7,20}$", "只能包含数字和 - ( ) +"),
        "description": _text(values, "description", 2000, "机构简介", errors),
    }
    beds = (values.get("beds") or "").strip()
    if beds and not (beds.isdigit() and int(beds) <= 100000):
        errors.append(("beds", f"编制床位须为 0 或正整数，当前：{beds}"))
    cleaned["beds"] = int(beds) if beds.isdigit() else None
    try:
        opened = parse_date(values.get("opened_on"), "开业日期")
        if opened and opened > datetime.date.today():
            errors.append(("opened_on", "开业日期不能晚于今天"))
        cleaned["opened_on"] = opened
    except ValueError as exc:
        errors.append(("opened_on", str(exc)))
    coord_errors, lat, lng = coordinate_problems(values.get("latitude"), values.get("longitude"))
    errors += coord_errors
    cleaned["latitude"], cleaned["longitude"] = lat, lng
    if errors:
        raise ValidationFailed(errors)
    with transaction(conflict=(institution, base, {**EDITABLE_FIELDS, **SUBJECT_FIELDS})):
        for key, value in cleaned.items():
            setattr(institution, key, value)


# ---- branches and files -----------------------------------------------------------------------------------------

BRANCH_LABELS = {"name": "分院名称", "address": "分院地址", "phone": "分院电话", "head": "分院负责人",
                 "latitude": "纬度", "longitude": "经度"}


def save_branch(institution, values: dict, branch=None, version=None) -> Branch:
    base = concurrency.check(branch, version, BRANCH_LABELS) if branch is not None else None
    errors = []
    name = _text(values, "name", 100, "分院名称", errors)
    if not name:
        errors.append(("name", "分院名称不能为空"))
    address = _text(values, "address", 200, "分院地址", errors)
    phone = _text(values, "phone", 30, "分院电话", errors, r"^[\d\-+() ]{7,30}$", "只能包含数字和 - ( ) +")
    head = _text(values, "head", 50, "分院负责人", errors)
    coord_errors, lat, lng = coordinate_problems(values.get("latitude"), values.get("longitude"), "分院")
    errors += coord_errors
    if errors:
        raise ValidationFailed(errors)
    with transaction(conflict=(branch, base, BRANCH_LABELS) if branch is not None else None):
        branch = branch or Branch(institution_id=institution.id)
        branch.name, branch.address, branch.phone, branch.head = name, address, phone, head
        branch.latitude, branch.longitude = lat, lng
        db.session.add(branch)
    return branch


def get_branch(institution, branch_id) -> Branch:
    branch = db.session.get(Branch, branch_id)
    if branch is None or branch.institution_id != institution.id:
        raise DomainError("分院不存在")
    return branch


@transactional
def delete_branch(institution, branch_id) -> None:
    db.session.delete(get_branch(institution, branch_id))


@transactional
def add_file(institution, kind, upload) -> InstitutionFile:
    """附件信息: one file of a kind (PDF, JPG or PNG, ≤ 10 MB); refusals name the field ("kind" or "file")."""
    if kind not in FILE_KINDS:
        raise ValidationFailed([("kind", "附件类型须从下拉列表中选择：" + "、".join(FILE_KINDS))])
    if not upload:
        raise ValidationFailed([("file", "请选择要上传的文件（PDF、JPG 或 PNG，不超过 10 MB）")])
    try:
        stored = storage.save_upload(upload, field_label=f"附件（{kind}）", kinds={"pdf", "jpeg", "png"},
                                     max_bytes=storage.SCAN_MAX)
    except DomainError as exc:
        raise ValidationFailed([("file", exc.message)]) from None
    item = InstitutionFile(institution_id=institution.id, kind=kind, path=stored.path, file_kind=stored.kind,
                           filename=stored.original_filename or f"{kind}.{stored.kind}")
    db.session.add(item)
    return item


def get_file(user, file_id) -> InstitutionFile:
    """A file the user may see (its institution, or one in its region subtree)."""
    item = db.session.get(InstitutionFile, file_id)
    if item is None or not scope_of(user).allows_institution(item.institution_id):
        raise DomainError("附件不存在")
    return item


def own_file(institution, file_id) -> InstitutionFile:
    """A file of this institution (DomainError otherwise: views answer 404)."""
    item = db.session.get(InstitutionFile, file_id)
    if item is None or item.institution_id != institution.id:
        raise DomainError("附件不存在")
    return item


def files_of(institution_id) -> list[InstitutionFile]:
    return list(db.session.scalars(select(InstitutionFile).where(InstitutionFile.institution_id == institution_id)
                                   .order_by(InstitutionFile.id)))


@transactional
def delete_file(institution, file_id) -> None:
    db.session.delete(own_file(institution, file_id))


# ---- 主体信息 change requests (机构信息修改) ----------------------------------------------------------------------

def _subject_problems(field, value, institution_id) -> list[str]:
    label = SUBJECT_FIELDS[field]
    if field in ("name", "code", "kind") and not value:
        return [f"{label}不能为空"]
    if field == "code":
        problems = uscc_problems(value)
        if not problems and db.session.scalar(select(Institution.id).where(
                Institution.code == value.upper(), Institution.id != institution_id)):
            problems.append(f"统一社会信用代码 {value} 已被其他机构使用")
        return problems
    if field == "name":
        if len(value) > 100:
            return ["机构名称不能超过 100 个字"]
        if db.session.scalar(select(Institution.id).where(Institution.name == value, Institution.id != institution_id)):
            return [f"机构名称“{value}”已被其他机构使用"]
    if field == "kind" and value not in INSTITUTION_KINDS:
        return ["机构类型须从下拉列表中选择：" + "、".join(INSTITUTION_KINDS)]
    if field in SUBJECT_DICTIONARIES and value and value not in subject_choices()[field]:
        return [f"{label}须从下拉列表中选择（国家标准代码），“{value}”不在列表中"]
    if value and len(value) > 100:
        return [f"{label}不能超过 100 个字"]
    return []


def subject_choices() -> dict[str, list[str]]:
    """{field: the names its dropdown offers} for the 主体信息 fields with a code list."""
    return {field: [d.name for d in dictionaries.items(dtype)] for field, dtype in SUBJECT_DICTIONARIES.items()}


def pending_request(institution_id):
    return db.session.scalar(select(ChangeRequest).where(ChangeRequest.institution_id == institution_id,
                                                         ChangeRequest.status == review.SUBMITTED))


def request_change(user, new_values: dict, reason: str, uploads=()) -> ChangeRequest:
    """机构信息修改: the changed 主体信息 fields with new values, a reason and supporting files; submitted at once.
    Every problem at once, each naming its field (a 主体信息 key, "reason" or "files")."""
    institution = user.institution
    if institution is None:
        raise DomainError("只有机构账号可以申请修改机构信息")
    errors = []
    if pending_request(institution.id):
        errors.append("已有一条待审核的机构信息修改申请，请等待审核或撤回后再提交")
    changes = {}
    for field in SUBJECT_FIELDS:
        if field not in new_values:
            continue
        new = (new_values.get(field) or "").strip()
        if field == "code":
            new = new.upper()
        old = getattr(institution, field) or ""
        if new != old:
            errors += [(field, m) for m in _subject_problems(field, new, institution.id)]
            changes[field] = [old or None, new or None]
    if not changes:
        errors.append("没有修改任何主体信息：请填写要修改的字段的新值")
    if not (reason or "").strip():
        errors.append(("reason", "请填写修改原因"))
    uploads = [u for u in uploads if u]
    if not uploads:
        errors.append(("files", "请上传证明材料（如执业许可证、登记证书扫描件），PDF、JPG 或 PNG，每个不超过 10 MB"))
    accepted = []
    for upload in uploads:
        try:
            accepted.append(storage.check_upload(upload, field_label="证明材料", kinds={"pdf", "jpeg", "png"},
                                                 max_bytes=storage.SCAN_MAX))
        except DomainError as exc:
            errors.append(("files", exc.message))
    if errors:
        raise ValidationFailed(errors)
    files = [{"path": s.path, "filename": s.original_filename, "kind": s.kind} for s in storage.store_all(accepted)]
    request_ = ChangeRequest(institution_id=institution.id, changes=changes, reason=reason.strip(), files=files,
                             created_by=user.username, status=review.DRAFT)
    return reviews.submit(REVIEW, request_, user)


def own_request(user, request_id) -> ChangeRequest:
    """A change request of the user's institution (DomainError otherwise: views answer 404)."""
    request_ = db.session.get(ChangeRequest, request_id)
    if request_ is None or request_.institution_id != user.institution_id:
        raise DomainError("申请不存在")
    return request_


def withdraw_request(user, request_id) -> ChangeRequest:
    return reviews.withdraw(REVIEW, own_request(user, request_id), user)


def requests_of(institution_id):
    return list(db.session.scalars(select(ChangeRequest).where(ChangeRequest.institution_id == institution_id)
                                   .order_by(ChangeRequest.id.desc())))


def _reviewable(reviewer):
    """Change requests of institutions in the reviewer's region subtree (the county commission reviews; an
    institution never does)."""
    s = scope_of(reviewer)
    if s.kind == "institution":
        return select(ChangeRequest).where(false())
    clause = s.institutions_clause(ChangeRequest.institution_id)
    return select(ChangeRequest) if clause is None else select(ChangeRequest).where(clause)


def _approved(request_, reviewer):
    """审核通过 applies every new value (each still valid now) and keeps each field's history."""
    institution = request_.institution
    errors = []
    for field, (_, new) in request_.changes.items():
        errors += [(field, m) for m in _subject_problems(field, new or "", institution.id)]
    if errors:
        raise ValidationFailed(errors)
    for field, (_, new) in request_.changes.items():
        db.session.add(InstitutionFieldHistory(institution_id=institution.id, field=field,
                                               old_value=getattr(institution, field), new_value=new,
                                               change_request_id=request_.id))
        setattr(institution, field, new)


REVIEW = reviews.Reviewable(kind="change_request", model=ChangeRequest, reviewable=_reviewable,
                            not_found="没有找到该申请，或不在您的审核范围内", on_approve=_approved)


def field_history(institution_id):
    return list(db.session.scalars(select(InstitutionFieldHistory).where(
        InstitutionFieldHistory.institution_id == institution_id).order_by(InstitutionFieldHistory.id.desc())))


# ---- 经纬度 by phone (QR code) ---------------------------------------------------------------------------------

@transactional
def start_location(institution) -> LocationReport:
    report = LocationReport(token=secrets.token_urlsafe(24), institution_id=institution.id)
    db.session.add(report)
    return report


def used_message(report) -> str:
    return (f"该二维码已使用过：位置已于 {report.received_at:%H:%M:%S} 发送到电脑（纬度 {report.latitude}，"
            f"经度 {report.longitude}）。如需重新获取，请在电脑上重新生成二维码")


def location_problem(token) -> str | None:
    """Why the phone page of a QR link cannot send a position (unknown, expired, already used); None if it can."""
    report = db.session.scalar(select(LocationReport).where(LocationReport.token == token))
    if report is None:
        return "二维码无效，请在电脑上重新生成"
    if report.received_at is not None:
        return used_message(report)
    if datetime.datetime.now() - report.created_at > datetime.timedelta(minutes=LOCATION_MINUTES):
        return f"二维码已过期（有效期 {LOCATION_MINUTES} 分钟），请在电脑上重新生成"
    return None


@transactional
def receive_location(token, lat, lng) -> LocationReport:
    """The first position posted closes the link (single use); the row is locked so two phones cannot both win."""
    report = db.session.scalar(select(LocationReport).where(LocationReport.token == token).with_for_update())
    if report is None:
        raise DomainError("二维码无效，请在电脑上重新生成")
    if report.received_at is not None:
        raise DomainError(used_message(report))
    if datetime.datetime.now() - report.created_at > datetime.timedelta(minutes=LOCATION_MINUTES):
        raise DomainError(f"二维码已过期（有效期 {LOCATION_MINUTES} 分钟），请在电脑上重新生成")
    errors, lat_v, lng_v = coordinate_problems(lat, lng)
    if errors or lat_v is None:
        raise ValidationFailed(errors or ["没有收到位置"])
    report.latitude, report.longitude = f"{lat_v:.6f}", f"{lng_v:.6f}"
    report.received_at = datetime.datetime.now()
    return report


def poll_location(institution, token):
    report = db.session.scalar(select(LocationReport).where(LocationReport.token == token,
                                                            LocationReport.institution_id == institution.id))
    if report is None:
        raise DomainError("二维码无效")
    return report


# ---- 区域端: institutions in scope -----------------------------------------------------------------------------

def check_new_institution(creator, name, code, region, kind) -> list[str]:
    """Rules for an institution created by a regional account (also used as form validation)."""
    errors = []
    s = scope_of(creator)
    if region is None or not (s.kind == "all" or (s.kind == "region" and region.path.startswith(s.region_path))):
        errors.append("所属区域须在本辖区内")
    errors += _subject_problems("name", (name or "").strip(), None)
    errors += _subject_problems("code", (code or "").strip().upper(), None)
    errors += _subject_problems("kind", kind, None)
    return errors


def set_internet_access(user, institution_id, allowed: bool, version=None) -> Institution:
    """允许互联网访问 of an institution in the caller's region subtree (a large public one is on the health network
    only until its commission opens it). Changing it ends the sessions of the institution's accounts (the session
    epoch listener); its accounts still need their own flag as well."""
    s = scope_of(user)
    inst = db.session.get(Institution, institution_id)
    if inst is None or s.kind not in ("region", "all") or not s.allows_institution(inst.id):
        raise DomainError("机构不存在或不在本辖区内")
    labels = {"internet_access": "允许互联网访问"}
    base = concurrency.check(inst, version, labels)
    with transaction(conflict=(inst, base, labels)):
        inst.internet_access = bool(allowed)
    return inst


def regions_in_scope(user):
    s = scope_of(user)
    stmt = select(Region).order_by(Region.code)
    if s.kind == "region":
        stmt = stmt.where(Region.path.startswith(s.region_path))
    elif s.kind != "all":
        return []
    return list(db.session.scalars(stmt))


def count_in_scope(user) -> int:
    clause = scope_of(user).institutions_clause(Institution.id)
    stmt = select(func.count(Institution.id))
    return db.session.scalar(stmt if clause is None else stmt.where(clause))
