"""The tenancy sweep: every registered view, action and API route that takes a primary key is called, as a user
of another institution (or region), with the primary keys of rows that belong to the first institution.
Every call must answer 403 or 404 and change nothing. New views are covered without editing this test."""
import datetime

import pytest
from flask_appbuilder import ModelView
from flask_appbuilder.api import ModelRestApi
from sqlalchemy import func, inspect, select

from app.extensions import appbuilder
from app.models.org import Institution
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE
from tests.conftest import csrf_token

# (caller, code of the institution whose rows the caller must not reach)
CALLERS = [("inst2_admin", JIANGXIA_CODE), ("inst_admin", WUCHANG_CODE), ("inst_staff", WUCHANG_CODE),
           ("region_admin", WUCHANG_CODE)]


def _foreign_pks(model, inst):
    """Primary keys of rows owned by `inst` (by institution_id, or the institution itself)."""
    from app.extensions import db

    table = inspect(model).local_table  # the table, so FAB's base User is seen with the app's columns
    pk = table.c[inspect(model).primary_key[0].name]
    if table is Institution.__table__:
        stmt = select(pk).where(pk == inst.id)
    elif "institution_id" in table.c:
        stmt = select(pk).where(table.c.institution_id == inst.id)
    else:
        return []
    return [str(v) for v in db.session.scalars(stmt.limit(3))]


def _pk_routes(app, endpoint_prefix):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(endpoint_prefix + ".") and "pk" in rule.arguments:
            yield rule


def _is_int(rule, arg):
    from werkzeug.routing import IntegerConverter

    return isinstance(rule._converters.get(arg), IntegerConverter)


def _fill(app, rule, pk, view):
    """Every URL of `rule` with this primary key (one per action name when the rule takes one)."""
    names = list(getattr(view, "actions", {}) or {}) or ["muldelete"]
    adapter = app.url_map.bind("localhost")
    urls = []
    for name in names if "name" in rule.arguments else [None]:
        values = {a: 0 if _is_int(rule, a) else "front" for a in rule.arguments}
        values["pk"] = int(pk) if _is_int(rule, "pk") else pk
        if name:
            values["name"] = name
        urls.append(adapter.build(rule.endpoint, values, append_unknown=False))
    return urls


def _row_count(model):
    from app.extensions import db

    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _models_and_views():
    """Every registered view over rows: FAB model views and APIs, and custom views that declare `scoped_model`."""
    for view in appbuilder.baseviews:
        if isinstance(view, (ModelView, ModelRestApi)):
            yield view, view.datamodel.obj
        elif getattr(view, "scoped_model", None) is not None:
            yield view, view.scoped_model


def _pending_certifications(db):
    """A certification in each demo institution, so the review pages have foreign rows to be refused."""
    from app.models.security import RealNameCertification, User

    for username in ("newcomer01", "inst2_admin"):
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.add(RealNameCertification(user_id=user.id, institution_id=user.institution_id, name="测试",
                                             id_type="01", id_number="11010519491231002X", mobile="13800000000",
                                             front_path="00/x.jpg", status="待审核"))
    db.session.commit()


def _import_jobs(db):
    """A finished import job in each institution, so the job routes (status, files, 删除) have foreign rows."""
    from app.models.imports import ImportJob

    for inst in db.session.scalars(select(Institution)):
        job = ImportJob(institution_id=inst.id, set_key="basic", filename="导入.xlsx", upload_path="", status="已完成")
        db.session.add(job)
        db.session.flush()
        job.upload_path = f"imports/{job.id}/upload.xlsx"
    db.session.commit()


def _emergency_rows(db):
    """A vehicle, a piece of equipment, a report and a supply entry in each institution, so every register, report
    and 物资/药械 route of 应急资源管理 (and the regional summary's report page) has foreign rows to be refused."""
    from app.models.emergency_registers import Equipment, Vehicle
    from app.models.emergency_reports import EmergencyReport, EmergencyReportLine
    from app.models.emergency_supplies import SupplyEntry

    for n, inst in enumerate(db.session.scalars(select(Institution)).all()):
        db.session.add(Vehicle(institution_id=inst.id, plate_no=f"鄂A1234{n}", vehicle_type="负压救护车", status="在用"))
        db.session.add(Equipment(institution_id=inst.id, name="有创呼吸机", equipment_type="有创呼吸机", quantity=2))
        for status in ("未上报", "已上报"):
            db.session.add(EmergencyReport(institution_id=inst.id, kind="capacity", report_date=datetime.date.today(),
                                           status=status, lines=[EmergencyReportLine(item_code="beds", value=1)]))
        for resource, report in (("supply", "stock"), ("supply", "estimate"), ("supply", "daily"),
                                 ("drugdevice", "stock"), ("drugdevice", "estimate"), ("drugdevice", "daily")):
            db.session.add(SupplyEntry(institution_id=inst.id, resource=resource, report=report,
                                       day=datetime.date.today().replace(day=1), item_code="S001", category="防护用品",
                                       name="医用防护口罩", unit="个", quantity=5, change_count=0))
    db.session.commit()


@pytest.mark.parametrize("caller, foreign_code", CALLERS)
def test_no_view_reaches_a_foreign_row(app, db, login_as, caller, foreign_code):
    _pending_certifications(db)
    _import_jobs(db)
    _emergency_rows(db)
    inst = db.session.scalar(select(Institution).where(Institution.code == foreign_code))
    c = login_as(caller)
    token = csrf_token(c, "/account/password/")
    jwt = c.post("/api/v1/security/login", json={"username": caller, "password": "Demo@Hb-2580"}).get_json()
    headers = {"Authorization": f"Bearer {jwt['access_token']}"}
    checked = 0
    for view, model in _models_and_views():
        pks = _foreign_pks(model, inst)
        if not pks:
            continue
        before = _row_count(model)
        for rule in _pk_routes(app, view.endpoint):
            for pk in pks:
                for url in _fill(app, rule, pk, view):
                    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                        if isinstance(view, ModelRestApi):
                            resp = c.open(url, method=method, headers=headers, json={})
                        elif method == "GET":
                            resp = c.get(url)
                        else:
                            resp = c.open(url, method=method, data={"csrf_token": token})
                        checked += 1
                        assert resp.status_code in (403, 404), (caller, method, url, resp.status_code)
        # action_post takes its keys from the form, not the URL.
        if isinstance(view, ModelView) and "action_post" in {r.endpoint.split(".")[-1] for r in app.url_map.iter_rules()
                                                            if r.endpoint.startswith(view.endpoint + ".")}:
            for name in list(view.actions) or ["muldelete"]:
                resp = c.post(f"{view.route_base}/action_post",
                              data={"csrf_token": token, "action": name, "rowid": pks})
                checked += 1
                assert resp.status_code in (403, 404), (caller, "action_post", view.route_base, resp.status_code)
        assert _row_count(model) == before, f"{caller} changed {model.__name__} rows"
    assert checked > 20  # the sweep really walked routes


@pytest.mark.parametrize("caller, foreign_code", CALLERS)
def test_no_list_shows_a_foreign_institution(app, db, login_as, caller, foreign_code):
    inst = db.session.scalar(select(Institution).where(Institution.code == foreign_code))
    c = login_as(caller)
    for view, _model in _models_and_views():
        if not isinstance(view, ModelView):
            continue
        resp = c.get(f"{view.route_base}/list/")
        assert resp.status_code in (200, 403), (view.route_base, resp.status_code)
        if resp.status_code == 200:
            body = resp.get_data(as_text=True)
            assert inst.name not in body and inst.code not in body, (caller, view.route_base)


def test_permitted_tenant_view_answers_404_not_403(db, login_as):
    """The sweep must see scoping at work, not only missing permissions: inst2_admin may read 操作日志."""
    from app.models.audit import AuditLog

    jiangxia = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    wuchang = db.session.scalar(select(Institution).where(Institution.code == WUCHANG_CODE))
    foreign = db.session.scalar(select(AuditLog.id).where(AuditLog.institution_id == jiangxia.id).limit(1))
    own = db.session.scalar(select(AuditLog.id).where(AuditLog.institution_id == wuchang.id).limit(1))
    c = login_as("inst2_admin")
    assert c.get(f"/auditlogview/show/{own}").status_code == 200
    assert c.get(f"/auditlogview/show/{foreign}").status_code == 404


def test_region_admin_sees_its_subtree_only(db, login_as):
    jiangxia = db.session.scalar(select(Institution).where(Institution.code == JIANGXIA_CODE))
    wuchang = db.session.scalar(select(Institution).where(Institution.code == WUCHANG_CODE))
    c = login_as("region_admin")
    listing = c.get("/regioninstitutionview/list/").get_data(as_text=True)
    assert jiangxia.name in listing and wuchang.name not in listing
    assert c.get(f"/regioninstitutionview/show/{jiangxia.id}").status_code == 200
    assert c.get(f"/regioninstitutionview/show/{wuchang.id}").status_code == 404
    # An institution account has no 区域管理 page at all.
    assert login_as("inst_admin").get("/regioninstitutionview/list/").status_code == 403
