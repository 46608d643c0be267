"""常用报表 without HTTP: each report's numbers equal a count of the fixture staff made here in Python (the rows
loaded one by one, the rules written out again), its scope, and the formatted workbook (merged two-level header,
frozen panes, numbers as ints, title / 填报单位 / 统计时点 / 制表人 / 制表日期)."""
import csv
import datetime
import io
import os

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.domain.errors import DomainError
from app.domain.id_number import check_digit
from app.domain.person import ACTIVE_STATUSES
from app.models.movements import Resignation
from app.models.org import Department, Institution, Post
from app.models.people import Person
from app.models.security import User
from app.services import quota, seed, stat_reports
from app.services.seed import JIANGXIA2_CODE, JIANGXIA_CODE, WUCHANG_CODE
from app.services.workbooks import Group, Report, report_workbook

TODAY = datetime.date.today()
DATA = os.path.join(os.path.dirname(__file__), "..", "..", "app", "data")


def _csv(name):
    with open(os.path.join(DATA, name), encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


GROUP_OF = {r["code"]: r["group"] for r in _csv("staff_category.csv")}


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


_n = {"i": 0}


def _person(db, inst, **kw):
    _n["i"] += 1
    first17 = f"42011519790101{_n['i']:03d}"
    values = {"name": f"测{_n['i']}", "id_type": "01", "id_number": first17 + check_digit(first17), "status": "在岗"}
    values.update(kw)
    p = Person(institution_id=inst.id, **values)
    db.session.add(p)
    db.session.commit()
    return p


@pytest.fixture
def staff(db):
    """80 synthetic staff in 江夏卫生院 (inst_admin), 25 in the 江夏 street centre (same county, region_admin's
    scope), the 武昌 centre's one person (another county), plus the odd cases: no 从事专业类别, no 编制情况, no
    department, and a 离职 person (not counted)."""
    seed.seed_people(80)
    seed.seed_people(25, JIANGXIA2_CODE)
    inst = _inst(db)
    _person(db, inst, staff_category=None, establishment="1", department_id=None)
    _person(db, inst, staff_category="21", establishment=None,
            department_id=db.session.scalar(select(Department.id).where(Department.institution_id == inst.id)))
    _person(db, inst, staff_category="11", establishment="1", status="离职")
    return inst


def _active(db, inst_ids):
    db.session.expire_all()
    return [p for p in db.session.scalars(select(Person).where(Person.institution_id.in_(inst_ids)))
            if p.status in ACTIVE_STATUSES]


def _plain(label):
    return label.replace("　", "")


# ---- 人员基本情况统计表 ------------------------------------------------------------------------------------------

def _basic_expected(people):
    """{row label: {column label: count}} of the 人员基本情况统计表, one person at a time from the CSV files."""
    names = {r["code"]: r["name"] for r in _csv("staff_category.csv")}
    sex = {r["code"]: r["short"] for r in _csv("sex.csv")}
    school = {r["code"]: r["yearbook_group"] for r in _csv("education.csv")}
    title = {r["code"]: r["level"] for r in _csv("tech_title_level.csv") if r["code"] != "9"}
    out = {}
    for p in people:
        heads = [GROUP_OF[p.staff_category], "　" + names[p.staff_category]] if p.staff_category else ["未填"]
        cols = ["人数", ("性别", sex.get(p.sex) or "未说明"), ("年龄段", _band_label(p.birth_date)),
                ("学历", school.get(p.education, "未填")), ("专业技术资格(评)", title.get(p.tech_title, "待聘/未评"))]
        for head in [*heads, "合计"]:
            line = out.setdefault(head, {})
            for c in cols:
                line[c] = line.get(c, 0) + 1
    return out


def _band_label(birth):
    from app.domain.stats import AGE_BANDS, band_of

    code = band_of(birth, TODAY)
    return next(b.label for b in AGE_BANDS if b.code == code) if code else "未填"


def _as_dict(report):
    """{row label: {column: value}} of a report with two header levels (columns keyed by (group, label))."""
    keys = []
    for h in report.headers[1:]:
        keys.extend([(h.label, c) for c in h.columns] if isinstance(h, Group) else [h])
    return {r[0]: dict(zip(keys, r[1:], strict=True)) for r in [*report.rows, report.totals]}


def test_basic_report_equals_a_count_of_the_staff(db, staff):
    report, = stat_reports.build(_user(db, "inst_admin"), "basic", on=TODAY)
    expected = _basic_expected(_active(db, [staff.id]))
    shown = _as_dict(report)
    for head, line in expected.items():
        if head.startswith("　") and head.strip() in stat_reports.STAFF_GROUPS:
            continue  # a group of one category (管理人员 …) is one row
        assert {k: v for k, v in shown[head].items() if v} == line, head
    assert [h.label for h in report.headers[2:]] == ["性别", "年龄段", "学历", "专业技术资格(评)"]
    assert report.headers[3].columns == ("25岁及以下", "26–35岁", "36–45岁", "46–55岁", "56岁及以上", "未填")
    assert report.headers[4].columns[:5] == ("研究生", "大学本科", "大专", "中专", "高中及以下")
    # every column group adds up to the staff count
    for group in ("性别", "年龄段", "学历", "专业技术资格(评)"):
        assert sum(v for k, v in shown["合计"].items() if isinstance(k, tuple) and k[0] == group) == \
            shown["合计"]["人数"] == len(_active(db, [staff.id]))


def test_basic_report_on_an_earlier_day_counts_who_was_in_post(db, staff):
    gone = _person(db, staff, staff_category="50", status="离职", birth_date=datetime.date(1980, 1, 1))
    db.session.add(Resignation(institution_id=staff.id, person_id=gone.id, flow_type="25",
                               leave_date=TODAY - datetime.timedelta(days=10), status="已通过"))
    db.session.commit()
    before, = stat_reports.build(_user(db, "inst_admin"), "basic", on=TODAY - datetime.timedelta(days=30))
    now, = stat_reports.build(_user(db, "inst_admin"), "basic", on=TODAY)
    inspector = "　卫生监督员"  # none among the synthetic staff: only the one who left
    assert _as_dict(before)[inspector]["人数"] == 1 and _as_dict(now)[inspector]["人数"] == 0
    assert _as_dict(before)[inspector][("年龄段", "46–55岁" if TODAY.year - 1980 <= 55 else "56岁及以上")] == 1
    assert before.as_of == (TODAY - datetime.timedelta(days=30)).isoformat()


def test_basic_report_of_a_county_adds_its_institutions(db, staff):
    report, = stat_reports.build(_user(db, "region_admin"), "basic", on=TODAY)
    expected = _basic_expected(_active(db, [staff.id, _inst(db, JIANGXIA2_CODE).id]))
    assert _as_dict(report)["合计"]["人数"] == expected["合计"]["人数"]
    assert {k: v for k, v in _as_dict(report)["合计"].items() if v} == expected["合计"]


# ---- 科室人员分布表 ------------------------------------------------------------------------------------------------

def _expected_distribution(people, key):
    """{row key: [合计, 编制内, 编制外, then 编制内/编制外 per group]} counted one person at a time."""
    groups = list(stat_reports.STAFF_GROUPS)
    if any(not p.staff_category for p in people):
        groups.append(None)
    out = {}
    for p in people:
        line = out.setdefault(key(p), [0] * (3 + 2 * len(groups)))
        inside = p.establishment == "1"
        line[0] += 1
        line[1 if inside else 2] += 1
        g = GROUP_OF.get(p.staff_category) if p.staff_category else None
        line[3 + 2 * groups.index(g) + (0 if inside else 1)] += 1
    return out


def test_department_distribution_equals_a_count_of_the_staff(db, staff):
    report, = stat_reports.build(_user(db, "inst_admin"), "departments", on=TODAY)
    people = _active(db, [staff.id])
    expected = _expected_distribution(people, lambda p: p.department_id)
    names = {d.id: d.name for d in db.session.scalars(select(Department).where(Department.institution_id == staff.id))}
    shown = {_plain(r[0]): r[1:] for r in report.rows}
    for dept_id, line in expected.items():
        label = names[dept_id] if dept_id else stat_reports.NO_DEPARTMENT
        assert shown[label] == line, label
    assert sum(r[1] for r in report.rows) == len(people) == report.totals[1]
    assert all(r[1:] == [0] * len(r[1:]) for r in report.rows
               if _plain(r[0]) not in {names.get(k, stat_reports.NO_DEPARTMENT) for k in expected})
    assert report.headers[0] == "科室" and [h.label for h in report.headers[1:]] == [
        "合计", *stat_reports.STAFF_GROUPS, "从事专业类别未填"]
    assert report.institution == staff.name and report.as_of == TODAY.isoformat()


def test_department_distribution_of_a_county_is_per_institution_and_stays_in_the_county(db, staff):
    report, = stat_reports.build(_user(db, "region_admin"), "departments", on=TODAY)
    ids = [staff.id, _inst(db, JIANGXIA2_CODE).id]
    expected = _expected_distribution(_active(db, ids), lambda p: p.institution_id)
    names = {i.id: i.name for i in db.session.scalars(select(Institution))}
    assert {r[0]: r[1:] for r in report.rows} == {names[k]: v for k, v in expected.items()}
    assert names[_inst(db, WUCHANG_CODE).id] not in [r[0] for r in report.rows]
    assert report.headers[0] == "机构" and "全辖区" in report.institution


def test_a_report_outside_the_scope_is_refused(db, staff):
    wuchang = _inst(db, WUCHANG_CODE)
    for username, inst in (("inst_admin", wuchang), ("region_admin", wuchang),
                           ("inst_admin", _inst(db, JIANGXIA2_CODE))):
        for key in ("departments", "quota", "flow"):
            with pytest.raises(DomainError, match="本机构或本辖区"):
                stat_reports.build(_user(db, username), key, institution=str(inst.id), on=TODAY, start=TODAY,
                                   end=TODAY)
    street = _inst(db, JIANGXIA2_CODE)
    report, = stat_reports.build(_user(db, "region_admin"), "departments", institution=str(street.id), on=TODAY)
    assert report.institution == street.name and report.totals[1] == len(_active(db, [street.id]))


# ---- 编制使用情况表 ------------------------------------------------------------------------------------------------

def _quota_fixture(db, inst):
    region = _user(db, "region_admin")
    quota.allocate(region, inst.id, total=40, management=5, professional=30, support=3, effective_date="2024-01-01",
                   document_no="江编办〔2024〕1号")
    depts = list(db.session.scalars(select(Department.id).where(Department.institution_id == inst.id,
                                                                 Department.active.is_(True))
                                    .order_by(Department.seq, Department.id)))
    quota.distribute(_user(db, "inst_admin"), inst.id, {depts[0]: "20", depts[1]: "1", depts[2]: "5"})
    return depts


def test_quota_report_holds_the_figures_of_quota_management(db, staff):
    _quota_fixture(db, staff)
    by_dept, by_category = stat_reports.build(_user(db, "inst_admin"), "quota")
    sheet = quota.sheet(staff.id)
    shown = {_plain(r[0]): r[1:] for r in by_dept.rows}
    for line in sheet.lines:
        assert shown[line.label] == [line.amount, line.established, line.vacant, line.over]
    # the same rule written out: 编制内 and 在岗, per department
    people = _active(db, [staff.id])
    established = [p for p in people if p.establishment == "1" and p.status == "在岗"]
    for line in sheet.lines:
        assert shown[line.label][1] == sum(1 for p in established if p.department_id == line.id)
    assert by_dept.totals == ["合计", 40, len(established), sheet.total_vacant, sheet.total_over]
    assert by_dept.totals[3] - by_dept.totals[4] == 40 - len(established)
    posts = {p.id: p.category for p in db.session.scalars(select(Post))}
    cats = {r[0]: r[1:] for r in by_category.rows}
    for label, category, amount in (("管理岗位", "管理岗", 5), ("专业技术岗位", "专业技术岗", 30),
                                    ("工勤技能岗位", "工勤技能岗", 3)):
        have = sum(1 for p in established if posts.get(p.post_id) == category)
        assert cats[label] == [amount, have, max(amount - have, 0), max(have - amount, 0)]
    assert cats.get("未定岗位类别", ["", sum(1 for p in established if p.post_id is None)])[1] == sum(
        1 for p in established if p.post_id is None)


def test_quota_report_of_a_county_is_the_regional_overview(db, staff):
    _quota_fixture(db, staff)
    report, = stat_reports.build(_user(db, "region_admin"), "quota")
    rows = {r[0]: r[1:] for r in report.rows}
    for r in quota.regional_overview(_user(db, "region_admin")):
        total = r.allocation.total if r.allocation else 0
        assert rows[r.institution.name] == [total, r.distributed, r.established, max(total - r.established, 0),
                                            max(r.established - total, 0)]
    assert _inst(db, WUCHANG_CODE).name not in rows
    assert rows[staff.name][0] == 40 and rows[_inst(db, JIANGXIA2_CODE).name][0] == 0


# ---- 人员流动情况表 ------------------------------------------------------------------------------------------------

def _flow_fixture(db, inst):
    """Resignations (approved in and out of the period, one still waiting), a person who came from 武昌 (an
    earlier record there), a graduate whose first job starts in the period, and old staff entered in the period."""
    wuchang = _inst(db, WUCHANG_CODE)
    depts = list(db.session.scalars(select(Department.id).where(Department.institution_id == inst.id)
                                    .order_by(Department.seq, Department.id)))
    start, end = datetime.date(TODAY.year, 1, 1), TODAY
    people = []
    for dept, code, day, status in ((depts[0], "24", start, "已通过"), (depts[0], "25", end, "已通过"),
                                    (depts[1], "25", end, "已通过"), (depts[1], "21", start, "待审核"),
                                    (depts[1], "26", start - datetime.timedelta(days=1), "已通过")):
        p = _person(db, inst, department_id=dept, status="离职" if status == "已通过" else "在岗")
        db.session.add(Resignation(institution_id=inst.id, person_id=p.id, flow_type=code, leave_date=day,
                                   status=status))
        people.append(p)
    old = _person(db, wuchang, status="离职", created_at=datetime.datetime(2020, 1, 1))
    _person(db, inst, id_number=old.id_number, department_id=depts[2])  # came from 武昌: 12
    _person(db, inst, department_id=depts[2], work_start=end)  # first job in the period: 11
    db.session.commit()
    return start, end, depts


def _expected_flow(db, inst_ids, start, end, key):
    db.session.expire_all()
    counts = {}
    for r in db.session.scalars(select(Resignation).where(Resignation.institution_id.in_(inst_ids))):
        if r.status == "已通过" and start <= r.leave_date <= end:
            k = (key(r.person), r.flow_type)
            counts[k] = counts.get(k, 0) + 1
    everyone = list(db.session.scalars(select(Person)))
    unclassified = 0
    for p in everyone:
        if p.institution_id not in inst_ids or not (start <= p.created_at.date() <= end):
            continue
        if any(q.id_number == p.id_number and q.institution_id != p.institution_id and q.created_at < p.created_at
               for q in everyone):
            code = "12"
        elif p.work_start and start <= p.work_start <= end:
            code = "11"
        else:
            unclassified += 1
            continue
        counts[(key(p), code)] = counts.get((key(p), code), 0) + 1
    return counts, unclassified


def test_flow_report_counts_by_the_national_codes(db, staff):
    start, end, depts = _flow_fixture(db, staff)
    report, = stat_reports.build(_user(db, "inst_admin"), "flow", start=start, end=end)
    expected, unclassified = _expected_flow(db, [staff.id], start, end, lambda p: p.department_id)
    codes = [r for r in _csv("staff_flow.csv")]
    inflow = [c["code"] for c in codes if c["direction"] == "流入"]
    outflow = [c["code"] for c in codes if c["direction"] == "流出"]
    assert [h.label for h in report.headers[1:]] == ["流入", "流出"]
    assert report.headers[1].columns == ("小计", *[f"{c['code']} {c['name']}" for c in codes if c["direction"] == "流入"])
    names = {d.id: d.name for d in db.session.scalars(select(Department).where(Department.institution_id == staff.id))}
    shown = {_plain(r[0]): r[1:] for r in report.rows}
    for dept_id in {k[0] for k in expected}:
        ins = [expected.get((dept_id, c), 0) for c in inflow]
        outs = [expected.get((dept_id, c), 0) for c in outflow]
        assert shown[names[dept_id]] == [sum(ins), *ins, sum(outs), *outs]
    total_out = sum(n for (_, c), n in expected.items() if c in outflow)
    assert total_out == 3  # 24 and 25 in 科室 1, 25 in 科室 2; the waiting one and the one before the period are not
    assert report.totals[1 + len(inflow) + 1] == total_out
    assert expected[(depts[2], "12")] == 1 and report.totals[1 + inflow.index("12") + 1] >= 1
    assert report.as_of == f"{start.isoformat()} 至 {end.isoformat()}"
    assert any(f"{unclassified} 人新录入但未登记来源" in n for n in report.notes) == bool(unclassified)


def test_flow_report_of_a_county_is_per_institution(db, staff):
    start, end, _ = _flow_fixture(db, staff)
    street = _inst(db, JIANGXIA2_CODE)
    report, = stat_reports.build(_user(db, "region_admin"), "flow", start=start, end=end)
    expected, _ = _expected_flow(db, [staff.id, street.id], start, end, lambda p: p.institution_id)
    rows = {r[0]: r[1:] for r in report.rows}
    assert set(rows) == {staff.name, street.name}
    codes = [r["code"] for r in _csv("staff_flow.csv")]
    for inst in (staff, street):
        assert sum(rows[inst.name]) == 2 * sum(expected.get((inst.id, c), 0) for c in codes)  # each count and its 小计


def test_flow_period_must_run_forwards(db, staff):
    with pytest.raises(DomainError, match="结束日期不能早于开始日期"):
        stat_reports.build(_user(db, "inst_admin"), "flow", start=TODAY, end=TODAY - datetime.timedelta(days=1))


# ---- the formatted workbook ---------------------------------------------------------------------------------------

def test_report_workbook_is_formatted_with_merged_two_level_header_and_numbers(db):
    report = Report(title="测试报表", institution="示例卫生院", as_of="2026-06-30", made_by="张三",
                    headers=["科室", Group("性别", ("男", "女")), "合计"],
                    rows=[["内科", 3, 4, 7], ["外科", 1, 0, 1]], totals=["合计", 4, 4, 8], notes=("说明一行",),
                    made_on=datetime.date(2026, 7, 1))
    sheet = load_workbook(io.BytesIO(report_workbook(report))).active
    assert sheet["A1"].value == "测试报表" and sheet["A1"].font.bold
    assert "A1:D1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["A2"].value == "填报单位：示例卫生院" and sheet["C2"].value == "统计时点：2026-06-30"
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"B3:C3", "A3:A4", "D3:D4"} <= merged
    assert [sheet.cell(3, c).value for c in range(1, 5)] == ["科室", "性别", None, "合计"]
    assert [sheet.cell(4, c).value for c in range(2, 4)] == ["男", "女"]
    assert sheet.freeze_panes == "B5"
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=5, max_row=7)] == [
        ["内科", 3, 4, 7], ["外科", 1, 0, 1], ["合计", 4, 4, 8]]
    assert all(isinstance(sheet.cell(5, c).value, int) for c in range(2, 5))
    assert sheet["A9"].value == "说明一行"
    assert sheet["A10"].value == "制表人：张三" and sheet["C10"].value == "制表日期：2026-07-01"
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$3:$4"


def test_one_level_report_has_a_single_header_row(db):
    report = Report(title="一层", institution="机构", as_of="2026-01-01", made_by="李四",
                    headers=["科室", "人数"], rows=[["内科", 2]])
    sheet = load_workbook(io.BytesIO(report_workbook(report))).active
    assert [sheet.cell(3, c).value for c in (1, 2)] == ["科室", "人数"] and sheet["A4"].value == "内科"
    assert sheet.freeze_panes == "B4" and sheet["B4"].value == 2


def test_a_disabled_department_shows_only_while_it_has_figures(db, staff):
    empty = Department(institution_id=staff.id, name="已撤销科", active=False, seq=99, category="职能部门")
    held = Department(institution_id=staff.id, name="停用留人科", active=False, seq=99, category="职能部门")
    db.session.add_all([empty, held])
    db.session.commit()
    _person(db, staff, department_id=held.id, staff_category="80", establishment="1")
    report, = stat_reports.build(_user(db, "inst_admin"), "departments", on=TODAY)
    labels = [_plain(r[0]) for r in report.rows]
    assert "停用留人科" in labels and "已撤销科" not in labels
