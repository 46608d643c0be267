"""Optimistic concurrency covers every editable record (issue 10 item 4): every versioned model refuses a stale
save at the database level, its migrated column gives existing rows 1, and every view with a form that edits a
record names the models it edits — all versioned — so a new form cannot be forgotten."""
import datetime

import pytest
from flask_appbuilder import ModelView
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from app.models import (
    Branch,
    Department,
    DepartmentQuota,
    DictItem,
    DrugItem,
    Education,
    Institution,
    KeyGroup,
    Person,
    Post,
    PracticeCertificate,
    Probation,
    ProbationWindow,
    Qualification,
    QuotaAllocation,
    RealNameCertification,
    Region,
    RoleProfile,
    StandardPost,
    TitleQualification,
    Training,
    User,
    WorkExperience,
)
from app.models.emergency_registers import Equipment, Vehicle
from app.models.emergency_reports import EmergencyReport
from app.models.emergency_supplies import SupplyEntry
from app.models.movements import Resignation, TransferRequest
from app.models.versioning import is_versioned
from app.services.audit import NOISE_FIELDS
from app.services.seed import JIANGXIA_CODE
from app.views.concurrency import VersionedEditMixin

TODAY = datetime.date(2020, 1, 1)
# Models a form edits (each must be versioned). Listed so a model dropped from Versioned fails here.
EDITABLE = {User, Person, WorkExperience, Education, TitleQualification, Qualification, PracticeCertificate, Training,
            Department, Post, StandardPost, Institution, Branch, QuotaAllocation, DepartmentQuota, KeyGroup,
            RoleProfile, Probation, ProbationWindow, Region, RealNameCertification, DictItem, Resignation, Vehicle,
            Equipment, DrugItem,
            EmergencyReport, SupplyEntry}
# Framework views with POST routes that are not this system's edit forms (left with a reason).
FRAMEWORK_VIEWS = {
    "AppSecurityApi", "UserInfoEditView", "ResetPasswordView", "AppResetMyPasswordView", "AppAuthDBView", "RoleApi",
    "UserApi", "ViewMenuApi", "PermissionViewMenuApi", "GroupApi",
    # FAB's own operator pages: accounts are edited through 账号管理 (versioned form); FAB's Role / Group models
    # are the framework's and carry no version; a stale save there still fails at the database (StaleDataError)
    # for accounts. RolePermissionView edits FAB's Role permissions (see docs/security.md, Edit conflicts).
    "AppUserDBModelView", "AppRoleModelView", "AppGroupModelView", "RolePermissionView",
}


def _versioned_models():
    from flask_appbuilder import Model

    return sorted((m.class_ for m in Model.registry.mappers if is_versioned(m.class_)),
                  key=lambda c: c.__tablename__)


def _row(db, model):
    """A row of the model: the demo data's, or one built here."""
    row = db.session.scalar(select(model).limit(1))
    if row is not None:
        return row
    inst = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    person = db.session.scalar(select(Person).limit(1))
    builders = {
        Branch: lambda: Branch(institution_id=inst.id, name="分院"),
        Department: lambda: Department(institution_id=inst.id, name="走查科", category="其他"),
        Post: lambda: Post(institution_id=inst.id, name="走查岗", category="管理岗"),
        StandardPost: lambda: StandardPost(region_id=inst.region_id, code="ZC01", name="走查", category="管理岗"),
        QuotaAllocation: lambda: QuotaAllocation(institution_id=inst.id, total=1, effective_date=TODAY,
                                                 document_no="文号"),
        DepartmentQuota: lambda: DepartmentQuota(institution_id=inst.id, department_id=_row(db, Department).id,
                                                 amount=1),
        WorkExperience: lambda: WorkExperience(person_id=person.id, institution_id=person.institution_id,
                                               start_date=TODAY, employer="单位"),
        Education: lambda: Education(person_id=person.id, institution_id=person.institution_id, school="学校",
                                     education="21"),
        TitleQualification: lambda: TitleQualification(person_id=person.id, institution_id=person.institution_id,
                                                       title_name="医师", level="3", obtained_on=TODAY),
        Qualification: lambda: Qualification(person_id=person.id, institution_id=person.institution_id, kind="证",
                                             certificate_no="1", obtained_on=TODAY),
        PracticeCertificate: lambda: PracticeCertificate(person_id=person.id, institution_id=person.institution_id,
                                                         certificate_no="1", registered_on=TODAY),
        Training: lambda: Training(person_id=person.id, institution_id=person.institution_id, start_date=TODAY,
                                   organiser="机构"),
        KeyGroup: lambda: KeyGroup(institution_id=inst.id, name="走查组"),
        Vehicle: lambda: Vehicle(institution_id=inst.id, plate_no="鄂A12345", vehicle_type="转运车", status="在用"),
        Equipment: lambda: Equipment(institution_id=inst.id, name="呼吸机", equipment_type="有创呼吸机", quantity=1,
                                     status="在用"),
        RealNameCertification: lambda: RealNameCertification(
            user_id=db.session.scalar(select(User.id).where(User.username == "newcomer01")), name="新人",
            id_type="01", id_number="420115198001010011", mobile="13912345678"),
        ProbationWindow: lambda: ProbationWindow(region_id=inst.region_id, year=2020, opens_on=TODAY,
                                                 closes_on=TODAY),
        Probation: lambda: Probation(person_id=person.id, institution_id=person.institution_id, exam_category="1",
                                     start_date=TODAY, end_date=TODAY, probation_unit="机构", supervisor="老师"),
        Resignation: lambda: Resignation(person_id=person.id, institution_id=person.institution_id, flow_type="25",
                                         leave_date=TODAY),
        EmergencyReport: lambda: EmergencyReport(institution_id=inst.id, kind="capacity", report_date=TODAY),
        SupplyEntry: lambda: SupplyEntry(institution_id=inst.id, resource="supply", report="stock", day=TODAY,
                                         item_code="S001", category="防护用品", name="医用防护口罩", unit="个",
                                         quantity=1),
        TransferRequest: lambda: TransferRequest(requester_institution_id=inst.id, holder_institution_id=inst.id,
                                                 person_id=person.id, id_number=person.id_number, name=person.name,
                                                 reason="调入", expires_at=datetime.datetime(2020, 1, 31)),
        DrugItem: lambda: DrugItem(code="ZC0001", name="走查药", abbreviation="zcy", dosage_form="片剂", spec="1mg",
                                   unit="片"),
    }
    assert model in builders, f"no demo row of {model.__name__}: add a builder here"
    row = builders[model]()
    db.session.add(row)
    db.session.commit()
    return row


def test_every_editable_model_is_versioned():
    versioned = set(_versioned_models())
    assert EDITABLE <= versioned, sorted(m.__name__ for m in EDITABLE - versioned)


@pytest.mark.parametrize("model", _versioned_models(), ids=lambda m: m.__tablename__)
def test_a_stale_save_fails_for_every_versioned_model(db, model):
    """Two sessions load the same row; the first save moves the version, the second (stale) one is refused."""
    row = _row(db, model)
    pk = inspect(row).identity
    mapper = inspect(model)
    key = next(a.key for a in mapper.column_attrs
               if a.key != "version" and a.key not in NOISE_FIELDS and not any(c.primary_key for c in a.columns))
    first, second = Session(db.engine), Session(db.engine)
    try:
        a, b = first.get(model, pk), second.get(model, pk)
        before = a.version
        flag_modified(a, key)
        first.commit()
        assert a.version == before + 1
        flag_modified(b, key)
        with pytest.raises(StaleDataError):
            second.commit()
    finally:
        second.rollback()
        first.close()
        second.close()


def test_the_migration_gives_existing_rows_version_1(db):
    columns = {}
    for model in _versioned_models():
        col = next(c for c in inspect(db.engine).get_columns(model.__tablename__) if c["name"] == "version")
        columns[model.__tablename__] = (col["nullable"], str(col["default"]).strip("'\"()"))
    assert all(v == (False, "1") for v in columns.values()), columns


def _post_routes(app, view):
    return [r.rule for r in app.url_map.iter_rules()
            if r.endpoint.startswith(view.endpoint + ".") and "POST" in r.methods]


def test_every_edit_form_is_on_a_versioned_model(app):
    """Every registered view with a form (a POST route) names the models it edits (`edited_models`), each
    versioned; FAB ModelViews whose edit page is open carry the version field (VersionedEditMixin)."""
    missing, unversioned = [], []
    for view in app.appbuilder.baseviews:
        name = type(view).__name__
        if name in FRAMEWORK_VIEWS or not _post_routes(app, view):
            continue
        if isinstance(view, ModelView):
            edit_right = f"can_{(view.method_permission_name or {}).get('edit', 'edit')}"
            if view.base_permissions and edit_right not in view.base_permissions:
                continue  # no edit page
            if not isinstance(view, VersionedEditMixin):
                missing.append(f"{name}: edit form without VersionedEditMixin")
            models = (view.datamodel.obj,)
        elif not hasattr(view, "edited_models"):
            missing.append(f"{name}: declare edited_models")
            continue
        else:
            models = view.edited_models
        unversioned += [f"{name}: {m.__name__}" for m in models if not is_versioned(m)]
    assert not missing, missing
    assert not unversioned, unversioned
