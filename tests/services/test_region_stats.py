"""统计概览: the comparison's figures equal direct queries on fixture data (staff in post, 编制 and 在编, 资料完整度,
certificates expiring within 90 days), per institution for a county and per child region for a city; staff in post by
month equals a direct count per month; scope (a county user sees only its county, a foreign region or institution is
refused)."""
import datetime

import pytest
from sqlalchemy import and_, exists, func, or_, select

from app.domain.errors import DomainError
from app.domain.person import ACTIVE_STATUSES
from app.models.movements import Resignation
from app.models.org import QuotaAllocation
from app.models.people import Person, PracticeCertificate
from app.services import completeness, seed, stats
from app.services import region_stats as svc
from app.services.seed import JIANGXIA2_CODE, WUCHANG_CODE
from tests import factories
from tests.services.test_completeness import _inst, _user, staff_with_gaps

TODAY = datetime.date.today()


def _allocate(inst, total, day, document):
    from app.extensions import db

    db.session.add(QuotaAllocation(institution_id=inst.id, kind="事业编制", total=total, effective_date=day,
                                   document_no=document))
    db.session.commit()


def _certificate(person, valid_until, n):
    from app.extensions import db

    db.session.add(PracticeCertificate(person_id=person.id, institution_id=person.institution_id,
                                       certificate_no=f"CERT{n:05d}", registered_on=datetime.date(2015, 1, 1),
                                       valid_until=valid_until))
    db.session.commit()


def _people(db, inst):
    return list(db.session.scalars(select(Person).where(Person.institution_id == inst.id).order_by(Person.id)))


@pytest.fixture
def fixture_data(db):
    """江夏 (420115): the 卫生院 with 40 staff (gaps, one out of post), the 街道中心 with 12; 武昌 (420106): 6.
    编制: the 卫生院's newest decision 30 (an older 50), 武昌 8; 江夏街道中心 none. Certificates due within 90 days
    (证书到期提醒's rule): 3 in the 卫生院 (in 10 and 90 days, one expired; not: one in 100 days, one of the person
    out of post, one renewed by a certificate valid for 1000 days), 1 in 武昌."""
    jiangxia = staff_with_gaps(db)
    seed.seed_people(12, JIANGXIA2_CODE)
    seed.seed_people(6, WUCHANG_CODE)
    jiangxia2, wuchang = _inst(db, JIANGXIA2_CODE), _inst(db, WUCHANG_CODE)
    _allocate(jiangxia, 50, datetime.date(2023, 1, 1), "鄂编〔2023〕1号")
    _allocate(jiangxia, 30, datetime.date(2025, 1, 1), "鄂编〔2025〕2号")
    _allocate(wuchang, 8, datetime.date(2024, 6, 1), "武编〔2024〕3号")
    people = _people(db, jiangxia)
    for n, (person, days) in enumerate([(people[0], 10), (people[1], 90), (people[2], 100), (people[3], -5),
                                        (people[9], 20), (people[4], 30), (people[4], 1000)]):
        _certificate(person, TODAY + datetime.timedelta(days=days), n)
    _certificate(_people(db, wuchang)[1], TODAY + datetime.timedelta(days=1), 9)
    return jiangxia, jiangxia2, wuchang


def _direct_unit(db, institution_ids):
    """Direct queries of one unit's figures over its institutions."""
    in_post = and_(Person.institution_id.in_(institution_ids), Person.status.in_(ACTIVE_STATUSES))
    staff = db.session.scalar(select(func.count()).select_from(Person).where(in_post))
    established = db.session.scalar(select(func.count()).select_from(Person).where(
        Person.institution_id.in_(institution_ids), Person.status == "在岗", Person.establishment == "1"))
    quota = 0
    for iid in institution_ids:
        newest = db.session.scalar(select(QuotaAllocation.total).where(QuotaAllocation.institution_id == iid)
                                   .order_by(QuotaAllocation.effective_date.desc(), QuotaAllocation.id.desc()))
        quota += newest or 0
    limit = TODAY + datetime.timedelta(days=90)
    expiring = 0
    for person_id, valid_until in db.session.execute(
            select(PracticeCertificate.person_id, PracticeCertificate.valid_until).join(Person).where(in_post)):
        later = db.session.scalar(select(func.max(PracticeCertificate.valid_until)).where(
            PracticeCertificate.person_id == person_id))
        expiring += valid_until is not None and valid_until <= limit and later <= limit
    complete = db.session.scalar(select(func.count()).select_from(Person).where(in_post, completeness.all_filled()))
    return staff, established, quota, expiring, complete


def test_county_compares_its_institutions_with_direct_figures(db, fixture_data):
    jiangxia, jiangxia2, wuchang = fixture_data
    result = svc.compare(_user(db, "region_admin"))
    assert result.where.region.code == "420115" and [r.code for r in result.where.trail] == ["420115"]
    assert {u.institution_id for u in result.units} == {jiangxia.id, jiangxia2.id}  # not 武昌
    assert all(u.region_code is None and u.institutions == 1 for u in result.units)
    for u in result.units:
        staff, established, quota, expiring, complete = _direct_unit(db, [u.institution_id])
        assert (u.staff, u.established, u.quota, u.expiring, u.completeness.complete) == (
            staff, established, quota, expiring, complete), u.label
    by_id = {u.institution_id: u for u in result.units}
    assert (by_id[jiangxia.id].staff, by_id[jiangxia.id].quota, by_id[jiangxia.id].expiring) == (39, 30, 3)
    assert by_id[jiangxia.id].vacancy == 30 - by_id[jiangxia.id].established
    assert by_id[jiangxia2.id].vacancy is None and by_id[jiangxia2.id].established > 0  # no allocation yet
    assert result.total.vacancy == 30 - by_id[jiangxia.id].established  # the 街道中心's 在编 not against it
    assert by_id[jiangxia.id].completeness.complete_share == round(100 * 31 / 39, 1)
    assert (result.total.staff, result.total.institutions, result.total.quota) == (51, 2, 30)
    assert result.total.completeness.staff == 51


def test_city_compares_its_child_regions_and_drills_down(db, fixture_data):
    jiangxia, jiangxia2, wuchang = fixture_data
    factories.account("wuhan_admin", role="区域管理员", region=factories.region("420100"))
    city = _user(db, "wuhan_admin")
    result = svc.compare(city)
    codes = [u.region_code for u in result.units]
    assert "420115" in codes and "420106" in codes and all(codes)  # child regions, in code order
    assert codes == sorted(codes)
    units = {u.region_code: u for u in result.units}
    staff, established, quota, expiring, complete = _direct_unit(db, [jiangxia.id, jiangxia2.id])
    assert (units["420115"].staff, units["420115"].established, units["420115"].quota, units["420115"].expiring,
            units["420115"].completeness.complete) == (staff, established, quota, expiring, complete)
    assert (units["420115"].institutions, units["420106"].institutions) == (2, 1)
    assert (units["420106"].staff, units["420106"].quota, units["420106"].expiring) == (6, 8, 1)
    assert result.total.staff == 51 + 6
    down = svc.compare(city, "420115")
    assert [r.code for r in down.where.trail] == ["420100", "420115"]
    assert {u.institution_id for u in down.units} == {jiangxia.id, jiangxia2.id}


def test_scope_refuses_a_foreign_region_or_institution(db, fixture_data):
    jiangxia, jiangxia2, wuchang = fixture_data
    county = _user(db, "region_admin")
    for call in (lambda: svc.compare(county, "420106"), lambda: svc.compare(county, "420100"),
                 lambda: svc.compare(county, "999999"), lambda: svc.by_month(county, "420106"),
                 lambda: svc.by_month(county, institution_id=wuchang.id),
                 lambda: svc.where(county, institution_id=wuchang.id)):
        with pytest.raises(DomainError, match="不在您的管理范围内"):
            call()
    with pytest.raises(DomainError, match="只有区域管理账号"):
        svc.compare(_user(db, "inst_admin"))
    assert svc.where(county, institution_id=jiangxia.id).institution.id == jiangxia.id
    everything = svc.compare(_user(db, "sysadmin01"))
    assert everything.where.region is None and everything.total.staff == 51 + 6


def _month_start(months_back):
    k = TODAY.year * 12 + TODAY.month - 1 - months_back
    return datetime.date(k // 12, k % 12 + 1, 1)


def _direct_in_post(db, institution_ids, start, end):
    """A person in post on some day of [start, end) (常用统计's rule): started work (参加工作日期, unknown = always)
    before `end`, no approved resignation dated on or before `start` (离职时间: the first day out of post), and
    either in post now or gone with an approved resignation."""
    gone_by_start = exists().where(Resignation.person_id == Person.id, Resignation.status == "已通过",
                                   Resignation.leave_date <= start)
    has_gone = exists().where(Resignation.person_id == Person.id, Resignation.status == "已通过")
    return db.session.scalar(select(func.count()).select_from(Person).where(
        Person.institution_id.in_(institution_ids), or_(Person.work_start.is_(None), Person.work_start < end),
        ~gone_by_start, or_(Person.status.in_(ACTIVE_STATUSES), has_gone)))


def _on_day(months_back, day):
    return _month_start(months_back) + datetime.timedelta(days=day - 1)


def test_staff_in_post_by_month_equals_a_direct_count(db, fixture_data):
    """In post follows 参加工作日期 and the approved resignations' 离职时间 (stats.in_post_during), not the date the
    record was entered; 新增 is the records entered that month."""
    jiangxia, jiangxia2, wuchang = fixture_data
    people = _people(db, jiangxia)
    # started work 30, 12 and 3 months ago (people[5]: unknown), the 12 of 江夏街道中心 last month; all entered into
    # the system 12 months ago but 10 of them 2 months ago
    for i, p in enumerate(people):
        months_back = 30 if i < 20 else 12 if i < 35 else 3
        p.work_start = None if i == 5 else _on_day(months_back, 10)
        p.created_at = datetime.datetime.combine(_on_day(2 if i < 10 else 12, 10), datetime.time(10))
    for p in _people(db, jiangxia2):
        p.work_start = _on_day(1, 20)
        p.created_at = datetime.datetime.combine(_on_day(12, 10), datetime.time(10))
    # left (approved) 6 months ago, on the 1st 4 months ago (so not in post at all that month), this month; a
    # pending one does not count
    for p, leave_date, status in ((people[0], _on_day(6, 5), "已通过"), (people[3], _on_day(4, 1), "已通过"),
                                  (people[1], _on_day(0, 5), "已通过"), (people[2], _on_day(2, 5), "待审核")):
        db.session.add(Resignation(institution_id=p.institution_id, person_id=p.id, flow_type="25", status=status,
                                   leave_date=leave_date))
        if status == "已通过":
            p.status = "离职"
    db.session.commit()
    region = _user(db, "region_admin")
    series = svc.by_month(region)
    assert len(series) == 24 and series[-1].start == _month_start(0) and series[0].start == _month_start(23)
    ids = [jiangxia.id, jiangxia2.id]
    for m in series:
        end = _month_start(-1) if m.start == _month_start(0) else next(
            s.start for s in series if s.start > m.start)
        assert m.in_post == _direct_in_post(db, ids, m.start, end), m.label
        # the very rule of 常用统计's 日期 filter, over the days of the month
        assert m.in_post == db.session.scalar(select(func.count()).select_from(Person).where(
            Person.institution_id.in_(ids),
            *stats.in_post_during(m.start, end - datetime.timedelta(days=1), Resignation.institution_id.in_(ids))))
    by_label = {m.label: m for m in series}

    def month(months_back):
        return by_label[f"{_month_start(months_back):%Y-%m}"]

    assert month(12).entered == 30 + 12 and month(2).entered == 10 and month(0).entered == 0
    assert month(6).left == 1 and month(4).left == 1 and month(0).left == 1
    assert month(2).left == 0  # 待审核
    # 20 started 30 months ago (people[9] out of post without a resignation: never counted)
    assert series[0].in_post == 19
    assert month(5).in_post == 19 - 1 + 15 and month(4).in_post == 19 - 2 + 15  # people[3] gone on the 1st
    assert month(1).in_post == 19 - 2 + 15 + 5 + 12
    assert series[-1].in_post == 19 - 2 + 15 + 5 + 12  # people[1] left this month: still in post in it
    one = svc.by_month(region, institution_id=jiangxia.id)
    assert one[-1].in_post == 19 - 2 + 15 + 5 and one[0].in_post == 19
