"""Real-name certification (spec 2.1, 7.4): the applicant's form, the stamped scan, and the review queue."""
import datetime

from sqlalchemy import select

from app.domain import review
from app.domain.errors import DomainError, ValidationFailed
from app.domain.id_number import id_problems_by_type
from app.domain.phone import mobile_problems
from app.extensions import db
from app.models.security import RealNameCertification, User
from app.services import concurrency, dictionaries, reviews, storage
from app.services.scope import scope_of
from app.services.transaction import transaction, transactional

STATUS_LABELS = review.LABELS


def for_user(user) -> RealNameCertification | None:
    return db.session.scalar(select(RealNameCertification).where(RealNameCertification.user_id == user.id))


def field_problems(name, id_type, id_number, mobile) -> list[tuple[str, str]]:
    """Every problem of the form's fields, as (field, message) (also used when a reviewer corrects them)."""
    errors = []
    if not (name or "").strip():
        errors.append(("name", "姓名不能为空"))
    elif len(name.strip()) > 50:
        errors.append(("name", "姓名不能超过 50 个字"))
    types = {d.code: d for d in dictionaries.items("id_types")}
    item = types.get(id_type)
    if item is None:
        errors.append(("id_type", "证件类别须从下拉列表中选择"))
    else:
        extra = item.extra or {}
        errors += [("id_number", m) for m in id_problems_by_type(id_number, item.name, extra.get("regex"),
                                                                 extra.get("check"))]
    errors += [("mobile", m) for m in mobile_problems(mobile)]
    return errors


LABELS = {"name": "姓名", "id_type": "证件类型", "id_number": "证件号码", "mobile": "手机号码", "status": "状态",
          "front_path": "身份证正面照片", "back_path": "身份证反面照片", "scan_path": "盖章扫描件"}


def save(user, *, name, id_type, id_number, mobile, front=None, back=None, version=None):
    """保存 the form: fields and both ID-card photos (new uploads replace the stored ones). Every error at once.
    `version`: the version the form was opened with (a certification changed since then is refused)."""
    cert = for_user(user)
    if cert is not None and not review.can_edit(cert.status):
        raise DomainError(f"实名认证{STATUS_LABELS[cert.status]}，不能修改；如需修改请先撤回")
    base = concurrency.check(cert, version, LABELS) if cert is not None else None
    with transaction(conflict=(cert, base, LABELS) if cert is not None else None):
        return _save(user, cert, name, id_type, id_number, mobile, front, back)


def _save(user, cert, name, id_type, id_number, mobile, front, back):
    errors = field_problems(name, id_type, id_number, mobile)
    accepted = {}
    for key, upload, label in (("front_path", front, "身份证正面照片"), ("back_path", back, "身份证反面照片")):
        if upload:
            try:
                accepted[key] = storage.check_upload(upload, field_label=label, kinds={"jpeg", "png"},
                                                     max_bytes=storage.IMAGE_MAX)
            except DomainError as exc:
                errors.append((key[:-5], exc.message))
        elif not (cert and getattr(cert, key)):
            errors.append((key[:-5], f"请上传{label}（JPG 或 PNG，不超过 3 MB）"))
    if errors:
        raise ValidationFailed(errors)
    # only now: nothing kept of a refusal; all or none if the disk refuses one
    stored = dict(zip(accepted, (s.path for s in storage.store_all(list(accepted.values()))), strict=True))
    if cert is None:
        cert = RealNameCertification(user_id=user.id, institution_id=user.institution_id, status=review.DRAFT)
        db.session.add(cert)
    cert.name, cert.id_type, cert.id_number, cert.mobile = name.strip(), id_type, id_number.strip().upper(), mobile
    for key, path in stored.items():
        setattr(cert, key, path)
    return cert


def letter_context(cert, user) -> dict:
    """The fields printed on the 证明 letter."""
    types = {d.code: d.name for d in dictionaries.items("id_types", active_only=False)}
    return {
        "account": user.username,
        "institution": user.institution.name if user.institution else (user.region.name if user.region else ""),
        "name": cert.name,
        "id_type": types.get(cert.id_type, cert.id_type),
        "id_number": cert.id_number,
        "mobile": cert.mobile,
        "date": datetime.date.today().strftime("%Y 年 %m 月 %d 日"),
    }


@transactional
def upload_scan(user, upload):
    """审核材料: the stamped letter, scanned (PDF, JPG or PNG, ≤ 10 MB)."""
    cert = for_user(user)
    if cert is None:
        raise DomainError("请先填写并保存实名认证信息，再上传审核材料")
    if not review.can_edit(cert.status):
        raise DomainError(f"实名认证{STATUS_LABELS[cert.status]}，不能更换审核材料")
    if not upload:
        raise ValidationFailed([("scan", "请选择盖章后的扫描件（PDF、JPG 或 PNG，不超过 10 MB）")])
    try:
        stored = storage.save_upload(upload, field_label="审核材料", kinds={"pdf", "jpeg", "png"},
                                     max_bytes=storage.SCAN_MAX)
    except DomainError as exc:  # named, so the page shows it under the file input
        raise ValidationFailed([("scan", exc.message)]) from None
    cert.scan_path, cert.scan_kind = stored.path, stored.kind
    return cert


def submit(user):
    """提交证明材料."""
    cert = for_user(user)
    if cert is None or not cert.scan_path:
        raise DomainError("请先上传盖章后的证明扫描件（审核材料），再提交")
    return reviews.submit(REVIEW, cert, user)


def withdraw(user):
    """撤回 a pending request to change it (the reviewer never deletes it)."""
    cert = for_user(user)
    if cert is None:
        raise DomainError("没有可撤回的实名认证")
    return reviews.withdraw(REVIEW, cert, user)


def reviewable_query(reviewer):
    """Certifications a reviewer may decide: institution owner → its sub-accounts; regional owner → owners of
    institutions in its subtree; 系统管理员 → regional owners."""
    s = scope_of(reviewer)
    stmt = select(RealNameCertification).join(User, RealNameCertification.user_id == User.id).where(
        User.deleted_at.is_(None), User.id != reviewer.id)
    if s.kind == "all":
        return stmt.where(User.region_id.is_not(None), User.institution_id.is_(None))
    if not reviewer.is_owner:
        return stmt.where(False)
    if s.kind == "institution":
        return stmt.where(User.institution_id == reviewer.institution_id, User.is_owner.is_(False))
    if s.kind == "region":
        return stmt.where(User.is_owner.is_(True), s.institutions_clause(User.institution_id))
    return stmt.where(False)


def _approved(cert, reviewer):
    cert.user.certified_at = datetime.datetime.now()


REVIEW = reviews.Reviewable(kind="certification", model=RealNameCertification, reviewable=reviewable_query,
                            not_found="没有找到该实名认证，或不在您的审核范围内", on_approve=_approved)


def decide(reviewer, cert_id, action, opinion=None, corrections=None):
    """审核通过 / 驳回 (opinion required). The reviewer may correct the fields before approving (`corrections`:
    name, id_type, id_number, mobile; refused with each problem next to its field)."""

    def correct(cert):
        if not corrections:
            return
        errors = field_problems(corrections["name"], corrections["id_type"], corrections["id_number"],
                                corrections["mobile"])
        if errors:
            raise ValidationFailed(errors)
        cert.name = corrections["name"].strip()
        cert.id_type = corrections["id_type"]
        cert.id_number = corrections["id_number"].strip().upper()
        cert.mobile = corrections["mobile"]

    return reviews.decide(REVIEW, reviewer, cert_id, action, opinion, before_approve=correct)
