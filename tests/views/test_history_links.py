"""修改记录 on the record pages (issue 17): a link to the record's 操作日志 entries, shown only to a user holding
操作日志; the history it opens lists that record's edits and nothing of another institution."""
import datetime
import re

from sqlalchemy import select

from app.models.audit import AuditLog
from app.models.emergency_registers import Vehicle
from app.models.org import Department, Institution
from app.models.people import Person
from app.models.security import User
from app.services import departments, emergency_supplies, people, posts
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, synthetic_id

LINK = re.compile(r'<a class="[^"]*record-history" href="([^"]+)"')


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _dept(db, name, code=JIANGXIA_CODE):
    return departments.create(_inst(db, code).id, name=name, category="科室(部门)", standard_code="A03")


def _pages(db):
    """Each record page and the (table, id) its 修改记录 must open."""
    inst = _inst(db)
    dept = _dept(db, "检验科")
    person = db.session.scalar(select(Person).where(Person.institution_id == inst.id))
    if person is None:
        person, _ = people.save_person(inst, {"name": "记录测试", "id_type": "01", "id_number": synthetic_id(301),
                                              "status": "在岗", "department_id": str(dept.id)})
    vehicle = Vehicle(institution_id=inst.id, plate_no="鄂A12345", vehicle_type="救护车")
    db.session.add(vehicle)
    db.session.commit()
    post = posts.create(inst.id, name="检验岗", category="专业技术岗")
    admin = db.session.scalar(select(User).where(User.username == "inst_admin"))
    entry, = emergency_supplies.report(admin, "supply", "stock", f"{datetime.date.today():%Y-%m-%d}",
                                       [{"item": emergency_supplies.items("supply")[0].code, "quantity": "10"}])
    return [(f"/people/show/{person.id}", "person", person.id),
            ("/institution/", "institution", inst.id),
            (f"/departments/edit/{dept.id}", "department", dept.id),
            (f"/emergency/vehicles/show/{vehicle.id}", "emergency_vehicle", vehicle.id),
            (f"/posts/edit/{post.id}", "post", post.id),
            (f"/supplies/stock/show/{entry.id}", "supply_entry", entry.id)]


def test_the_link_is_shown_with_the_audit_right_and_absent_without(app, db, login_as):
    pages = _pages(db)
    admin, staff = login_as("inst_admin"), login_as("inst_staff")
    seen_by_staff = []
    for url, table, pk in pages:
        html = admin.get(url).get_data(as_text=True)
        assert LINK.findall(html) == [f"/auditlogview/record/{table}/{pk}"], url
        resp = staff.get(url)
        if resp.status_code == 200:  # 人事科 holds no 操作日志: the page without the link
            assert "修改记录" not in resp.get_data(as_text=True), url
            seen_by_staff.append(table)
    assert "person" in seen_by_staff, seen_by_staff
    assert staff.get(f"/auditlogview/record/person/{pages[0][2]}").status_code in (302, 403)


def test_following_it_lists_that_records_edits_only(app, db, login_as):
    mine, other = _dept(db, "放射科"), _dept(db, "药剂科")
    departments.update(mine.institution_id, mine.id, name="影像科", category="科室(部门)", standard_code="A03",
                       version=mine.version)
    foreign = _dept(db, "外院科室", WUCHANG_CODE)
    c = login_as("inst_admin")
    html = c.get(f"/departments/edit/{mine.id}").get_data(as_text=True)
    href, = LINK.findall(html)
    page = c.get(href, follow_redirects=True)
    assert page.status_code == 200
    shown = {int(i) for i in re.findall(r"/auditlogview/show/(\d+)", page.get_data(as_text=True))}
    entries = lambda d: set(db.session.scalars(select(AuditLog.id).where(  # noqa: E731
        AuditLog.entity == "department", AuditLog.entity_id == str(d.id))))
    assert entries(mine) and len(entries(mine)) >= 2  # added, then renamed
    assert shown == entries(mine)
    # a foreign record's history shows nothing
    foreign_page = c.get(f"/auditlogview/record/department/{foreign.id}", follow_redirects=True)
    assert foreign_page.status_code == 200 and entries(foreign)
    assert not re.findall(r"/auditlogview/show/(\d+)", foreign_page.get_data(as_text=True))
    assert db.session.get(Department, other.id) is not None
