"""试用期填报: only probation-status staff, every field error at once, attachments, the registration window of the
nearest commission, the review state machine with its history, and who may review what."""
import datetime
import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.domain import review
from app.domain.errors import DomainError, ValidationFailed
from app.domain.person import PROBATION_STATUS
from app.models.org import Department, Institution, Region
from app.models.people import Person, Probation, ProbationWindow
from app.models.security import User
from app.services import probation as svc
from app.services import reviews
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE, synthetic_id
from tests import factories

YEAR = datetime.date.today().year
IN_WINDOW = datetime.date(YEAR, 3, 15)
GOOD = {"exam_category": "1", "start_date": f"{YEAR - 1}-07-01", "end_date": f"{YEAR}-06", "probation_unit": "示例镇卫生院",
        "supervisor": "李医生", "supervisor_title": "主治医师", "note": ""}


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def _region(db, code):
    return db.session.scalar(select(Region).where(Region.code == code))


_n = {"i": 9000}


def person(db, code=JIANGXIA_CODE, status=PROBATION_STATUS, name="张试用", department=None):
    _n["i"] += 1
    p = Person(institution_id=_inst(db, code).id, name=name, id_type="01", id_number=synthetic_id(_n["i"]),
               status=status, department=department)
    db.session.add(p)
    db.session.commit()
    return p


def jpeg(color="white"):
    buf = io.BytesIO()
    Image.new("RGB", (120, 80), color).save(buf, "JPEG")
    buf.seek(0)
    return buf


def window(db, region_code="420115", opens=datetime.date(YEAR, 3, 1), closes=datetime.date(YEAR, 3, 31), year=YEAR):
    w = ProbationWindow(region_id=_region(db, region_code).id, year=year, opens_on=opens, closes_on=closes)
    db.session.add(w)
    db.session.commit()
    return w


def submitted(db, code=JIANGXIA_CODE, owner="inst_admin"):
    """A filing of a new probation-status person, saved and submitted inside an (ensured) window."""
    p = person(db, code)
    region = _inst(db, code).region.code
    if db.session.scalar(select(ProbationWindow).where(ProbationWindow.region_id == _region(db, region).id)) is None:
        window(db, region)
    filing = svc.save(_user(db, owner), p.id, GOOD, uploads=[jpeg()])
    return svc.submit(_user(db, owner), filing.id, today=IN_WINDOW)


def test_roster_lists_only_probation_status_staff_with_their_filing(db):
    village = Department(institution_id=_inst(db).id, name="东湖村卫生室", category="村卫生室")
    db.session.add(village)
    db.session.commit()
    a = person(db, name="甲试用", department=village)
    person(db, status="在岗", name="乙在岗")
    person(db, code=WUCHANG_CODE, name="丙武昌")
    filing = svc.save(_user(db, "inst_admin"), a.id, GOOD, uploads=[jpeg()])
    rows = svc.roster(_inst(db).id)
    assert [(p.name, f.id if f else None) for p, f in rows] == [("甲试用", filing.id)]
    assert rows[0][0].department.category == svc.VILLAGE_CLINIC


def test_every_field_error_at_once_and_nothing_saved(db):
    p = person(db)
    with pytest.raises(ValidationFailed) as exc:
        svc.save(_user(db, "inst_admin"), p.id, {"exam_category": "9", "start_date": "2025年7月",
                                                 "end_date": "", "probation_unit": "", "supervisor": "x" * 51})
    text = "；".join(exc.value.errors)
    for fragment in ("报考类别须从下拉列表中选择", "试用期开始日期格式应为", "试用期结束日期不能为空", "试用机构不能为空",
                     "带教老师不能超过 50 个字", "请上传试用期证明材料"):
        assert fragment in text, text
    db.session.rollback()
    assert db.session.scalar(select(Probation).where(Probation.person_id == p.id)) is None


def test_end_must_be_after_start_and_month_dates_complete_to_day_one(db):
    p = person(db)
    with pytest.raises(ValidationFailed, match="试用期结束日期须晚于试用期开始日期"):
        svc.save(_user(db, "inst_admin"), p.id, {**GOOD, "start_date": "2025-07-01", "end_date": "2025-07-01"},
                 uploads=[jpeg()])
    filing = svc.save(_user(db, "inst_admin"), p.id, {**GOOD, "start_date": "2025-07", "end_date": "2026-06-30"},
                      uploads=[jpeg()])
    assert filing.start_date == datetime.date(2025, 7, 1) and filing.status == review.DRAFT


def test_attachments_checked_by_content_kept_and_at_least_one(db):
    p = person(db)
    user = _user(db, "inst_admin")
    with pytest.raises(ValidationFailed, match="试用期证明材料：只接受 JPG 或 PNG"):
        svc.save(user, p.id, GOOD, uploads=[io.BytesIO(b"%PDF-1.4 not an image\n%%EOF")])
    db.session.rollback()
    filing = svc.save(user, p.id, GOOD, uploads=[jpeg(), jpeg("gray")])
    assert len(filing.attachments) == 2
    filing = svc.save(user, p.id, {**GOOD, "supervisor": "王医生"})  # no new upload: the stored ones stay
    assert len(filing.attachments) == 2 and filing.supervisor == "王医生"
    filing = svc.save(user, p.id, GOOD, remove=["0"])
    assert len(filing.attachments) == 1
    with pytest.raises(ValidationFailed, match="请上传试用期证明材料"):
        svc.save(user, p.id, GOOD, remove=["0"])


def test_only_probation_status_staff_of_ones_own_institution(db):
    on_duty = person(db, status="在岗", name="李在岗")
    with pytest.raises(DomainError, match="在职状态是“在岗”.*请先在“人员信息管理—基本信息”中修改在职状态"):
        svc.save(_user(db, "inst_admin"), on_duty.id, GOOD, uploads=[jpeg()])
    foreign = person(db, code=WUCHANG_CODE)
    with pytest.raises(DomainError, match="不在您的权限范围内"):
        svc.save(_user(db, "inst_admin"), foreign.id, GOOD, uploads=[jpeg()])
    with pytest.raises(DomainError, match="只有机构账号"):
        svc.save(_user(db, "region_admin"), foreign.id, GOOD, uploads=[jpeg()])


def test_submit_needs_a_window_of_this_year(db):
    p = person(db)
    user = _user(db, "inst_admin")
    filing = svc.save(user, p.id, GOOD, uploads=[jpeg()])
    with pytest.raises(DomainError) as exc:
        svc.submit(user, filing.id, today=IN_WINDOW)
    assert exc.value.message == "上级卫健委尚未设置本年度报名时间"
    window(db, year=YEAR - 1, opens=datetime.date(YEAR - 1, 1, 1), closes=datetime.date(YEAR - 1, 12, 31))
    with pytest.raises(DomainError, match="尚未设置本年度报名时间"):
        svc.submit(user, filing.id, today=IN_WINDOW)
    window(db)
    for outside in (datetime.date(YEAR, 2, 28), datetime.date(YEAR, 4, 1)):
        with pytest.raises(DomainError) as exc:
            svc.submit(user, filing.id, today=outside)
        assert exc.value.message == f"报名时间为 {YEAR}-03-01 至 {YEAR}-03-31，当前不在报名时间内"
    for edge in (datetime.date(YEAR, 3, 1), datetime.date(YEAR, 3, 31)):
        assert svc.window_problem(_inst(db), edge) is None
    assert svc.submit(user, filing.id, today=IN_WINDOW).status == review.SUBMITTED


def test_the_nearest_region_with_a_window_decides(db):
    window(db, "420100", opens=datetime.date(YEAR, 5, 1), closes=datetime.date(YEAR, 5, 31))  # 武汉市
    jiangxia, wuchang = _inst(db), _inst(db, WUCHANG_CODE)
    assert svc.window_for(wuchang.region).opens_on == datetime.date(YEAR, 5, 1)  # inherited from the city
    window(db, "420115")  # 江夏区 sets its own
    assert svc.window_for(jiangxia.region).opens_on == datetime.date(YEAR, 3, 1)
    assert svc.window_problem(jiangxia, datetime.date(YEAR, 5, 10)) is not None
    assert svc.window_problem(wuchang, datetime.date(YEAR, 5, 10)) is None


def test_state_machine_with_history(db):
    filing = submitted(db)
    owner, reviewer = _user(db, "inst_admin"), _user(db, "region_admin")
    with pytest.raises(DomainError, match="待审核，不能修改；如需修改请先撤回"):
        svc.save(owner, filing.person_id, GOOD)
    svc.withdraw(owner, filing.id)
    svc.save(owner, filing.person_id, {**GOOD, "supervisor": "赵医生"})
    svc.submit(owner, filing.id, today=IN_WINDOW)
    with pytest.raises(DomainError, match="驳回时必须填写审核意见"):
        reviews.decide(svc.REVIEW, reviewer, filing.id, "reject", "  ")
    db.session.rollback()
    with pytest.raises(DomainError, match="只有审核人可以"):
        review.transition(review.SUBMITTED, "approve", review.APPLICANT)
    reviews.decide(svc.REVIEW, reviewer, filing.id, "reject", "带教老师职称与证明不符")
    filing = db.session.get(Probation, filing.id)
    assert filing.status == review.REJECTED and filing.opinion == "带教老师职称与证明不符"
    svc.save(owner, filing.person_id, {**GOOD, "supervisor_title": "副主任医师"})  # editable after rejection
    svc.submit(owner, filing.id, today=IN_WINDOW)
    done = reviews.decide(svc.REVIEW, reviewer, filing.id, "approve")
    assert done.status == review.APPROVED and done.reviewer_id == reviewer.id and done.reviewed_at
    with pytest.raises(DomainError, match="已通过，不能修改"):
        svc.save(owner, filing.person_id, GOOD)
    with pytest.raises(DomainError, match="当前状态为“已通过”，不能审核通过"):
        reviews.decide(svc.REVIEW, reviewer, filing.id, "approve")
    steps = [(h.action, h.from_status, h.to_status, h.actor_name) for h in reviews.history(svc.REVIEW, done)]
    assert steps == [("submit", "草稿", "待审核", "inst_admin"), ("withdraw", "待审核", "草稿", "inst_admin"),
                     ("submit", "草稿", "待审核", "inst_admin"), ("reject", "待审核", "已驳回", "region_admin"),
                     ("submit", "已驳回", "待审核", "inst_admin"), ("approve", "待审核", "已通过", "region_admin")]


def test_submit_refused_when_the_person_is_no_longer_on_probation(db):
    p = person(db)
    window(db)
    filing = svc.save(_user(db, "inst_admin"), p.id, GOOD, uploads=[jpeg()])
    p.status = "在岗"
    db.session.commit()
    with pytest.raises(DomainError, match="不能填报试用期"):
        svc.submit(_user(db, "inst_admin"), filing.id, today=IN_WINDOW)


def test_review_scope_is_the_region_subtree(db):
    ours = submitted(db)
    theirs = submitted(db, WUCHANG_CODE, "inst2_admin")
    draft = svc.save(_user(db, "inst_admin"), person(db).id, GOOD, uploads=[jpeg()])
    reviewer = _user(db, "region_admin")
    assert [f.id for f in reviews.queue(svc.REVIEW, reviewer)] == [ours.id]  # not 武昌区, not drafts
    assert reviews.queue(svc.REVIEW, reviewer, review.DRAFT) == []
    for pk in (theirs.id, draft.id):
        with pytest.raises(DomainError, match="不在您的审核范围内"):
            reviews.decide(svc.REVIEW, reviewer, pk, "approve")
    assert reviews.queue(svc.REVIEW, _user(db, "inst_admin")) == []  # institutions never review
    with pytest.raises(DomainError):
        reviews.get_for_review(svc.REVIEW, _user(db, "inst_admin"), ours.id)
    city = factories.account("wuhan_admin", role="区域管理员", region=_region(db, "420100"), is_owner=True)
    assert {f.id for f in reviews.queue(svc.REVIEW, city)} == {ours.id, theirs.id}


def test_filings_of_another_institution_are_out_of_reach(db):
    theirs = submitted(db, WUCHANG_CODE, "inst2_admin")
    owner = _user(db, "inst_admin")
    for fn in (svc.get_filing, svc.withdraw):
        with pytest.raises(DomainError, match="不在您的权限范围内"):
            fn(owner, theirs.id)
    with pytest.raises(DomainError, match="不在您的权限范围内"):
        svc.submit(owner, theirs.id, today=IN_WINDOW)
    assert db.session.get(Probation, theirs.id).status == review.SUBMITTED


def test_set_window_rules(db):
    reviewer = _user(db, "region_admin")
    with pytest.raises(ValidationFailed) as exc:
        svc.set_window(reviewer, "26", "2026-3-40", "")
    text = "；".join(exc.value.errors)
    for fragment in ("年度须为 4 位数字的年份", "报名开始日期不是真实的日期", "报名截止日期不能为空"):
        assert fragment in text, text
    with pytest.raises(ValidationFailed, match="报名截止日期不能早于报名开始日期"):
        svc.set_window(reviewer, str(YEAR), f"{YEAR}-03-31", f"{YEAR}-03-01")
    with pytest.raises(ValidationFailed, match=f"报名截止日期须在 {YEAR} 年内"):
        svc.set_window(reviewer, str(YEAR), f"{YEAR}-12-01", f"{YEAR + 1}-01-15")
    w = svc.set_window(reviewer, str(YEAR), f"{YEAR}-03", f"{YEAR}-03-31")
    assert (w.opens_on, w.closes_on) == (datetime.date(YEAR, 3, 1), datetime.date(YEAR, 3, 31))
    svc.set_window(reviewer, str(YEAR), f"{YEAR}-04-01", f"{YEAR}-04-01")  # same year: replaced, opens == closes ok
    assert [(x.year, x.opens_on) for x in svc.windows_of(reviewer)] == [(YEAR, datetime.date(YEAR, 4, 1))]
    assert svc.window_for(_inst(db).region).region_id == reviewer.region_id
    with pytest.raises(DomainError, match="只有区域（卫健委）账号可以设置报名时间"):
        svc.set_window(_user(db, "inst_admin"), str(YEAR), f"{YEAR}-03-01", f"{YEAR}-03-31")
