"""Institution profile, branches, 主体信息 change requests and their review, the QR location flow."""
import datetime
import io

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError, ValidationFailed
from app.models.org import Institution, InstitutionFieldHistory
from app.models.security import User
from app.services import institutions as svc
from app.services import reviews
from app.services.seed import JIANGXIA_CODE, WUCHANG_CODE
from tests import factories
from tests.services.test_storage import _minimal_pdf

PDF = _minimal_pdf()  # a real one: the upload check opens it and counts its pages


def _user(db, username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _inst(db, code=JIANGXIA_CODE):
    return db.session.scalar(select(Institution).where(Institution.code == code))


def test_profile_reports_every_error_and_saves_nothing(db):
    inst = _inst(db)
    with pytest.raises(ValidationFailed) as exc:
        svc.update_profile(inst, {"postcode": "4301", "email": "a@", "beds": "-3", "opened_on": "2020年",
                                  "latitude": "80", "longitude": "", "address": "新地址"})
    text = "；".join(exc.value.errors)
    for fragment in ("邮政编码须为 6 位数字", "电子邮箱格式不正确", "编制床位须为 0 或正整数", "开业日期格式应为",
                     "纬度须在 3–54 之间"):
        assert fragment in text
    db.session.rollback()
    assert _inst(db).address is None


def test_profile_saves(db):
    svc.update_profile(_inst(db), {"address": "武汉市江夏区纸坊街 1 号", "postcode": "430200", "beds": "60",
                                   "opened_on": "1998-05", "latitude": "30.35", "longitude": "114.32",
                                   "website": "www.example.cn"})
    inst = _inst(db)
    assert (inst.beds, inst.opened_on, inst.latitude) == (60, datetime.date(1998, 5, 1), 30.35)


def test_coordinates_need_both_values():
    assert svc.coordinate_problems("30.3", "", "")[0] == [("longitude", "纬度和经度须同时填写")]
    assert svc.coordinate_problems("", "", "")[0] == []


def test_branches(db):
    inst = _inst(db)
    with pytest.raises(ValidationFailed, match="分院名称不能为空"):
        svc.save_branch(inst, {"name": " "})
    branch = svc.save_branch(inst, {"name": "东分院", "latitude": "30.1", "longitude": "114.1"})
    assert [b.name for b in _inst(db).branches] == ["东分院"]
    with pytest.raises(DomainError, match="分院不存在"):
        svc.delete_branch(_inst(db, WUCHANG_CODE), branch.id)
    svc.delete_branch(_inst(db), branch.id)
    assert _inst(db).branches == []


def test_change_request_rules(db):
    user = _user(db, "inst_admin")
    with pytest.raises(ValidationFailed) as exc:
        svc.request_change(user, {"code": "124201154201150158", "name": "武汉市武昌区示例社区卫生服务中心"}, "", [])
    text = "；".join(exc.value.errors)
    for fragment in ("校验位不正确", "已被其他机构使用", "请填写修改原因", "请上传证明材料"):
        assert fragment in text
    with pytest.raises(ValidationFailed, match="没有修改任何主体信息"):
        svc.request_change(user, {"name": user.institution.name}, "x", [io.BytesIO(PDF)])


def test_request_approved_applies_values_with_history(db):
    user = _user(db, "inst_admin")
    req = svc.request_change(user, {"name": "武汉市江夏区示例中心卫生院", "legal_representative": "李四"},
                             "更名批复", [io.BytesIO(PDF)])
    with pytest.raises(ValidationFailed, match="已有一条待审核"):
        svc.request_change(user, {"grade": "一级"}, "x", [io.BytesIO(PDF)])
    db.session.rollback()
    assert [r.id for r in reviews.queue(svc.REVIEW, _user(db, "region_admin"), "待审核")] == [req.id]
    assert reviews.queue(svc.REVIEW, _user(db, "inst2_admin")) == []
    with pytest.raises(DomainError, match="不在您的审核范围内"):
        reviews.decide(svc.REVIEW, _user(db, "inst_admin"), req.id, "approve")
    reviews.decide(svc.REVIEW, _user(db, "region_admin"), req.id, "approve", "同意")
    inst = _inst(db)
    assert inst.name == "武汉市江夏区示例中心卫生院" and inst.legal_representative == "李四"
    hist = {h.field: (h.old_value, h.new_value) for h in db.session.scalars(select(InstitutionFieldHistory))}
    assert hist["name"] == ("武汉市江夏区示例镇卫生院", "武汉市江夏区示例中心卫生院")
    assert [h.action for h in reviews.history(svc.REVIEW, req)] == ["submit", "approve"]


def test_request_rejected_needs_opinion_and_changes_nothing(db):
    user = _user(db, "inst_admin")
    req = svc.request_change(user, {"grade": "一级甲等"}, "评审结果", [io.BytesIO(PDF)])
    with pytest.raises(DomainError, match="驳回时必须填写审核意见"):
        reviews.decide(svc.REVIEW, _user(db, "region_admin"), req.id, "reject", "")
    db.session.rollback()
    reviews.decide(svc.REVIEW, _user(db, "region_admin"), req.id, "reject", "请上传评审文件")
    assert _inst(db).grade is None
    svc.request_change(_user(db, "inst_admin"), {"grade": "一级甲等"}, "补充材料", [io.BytesIO(PDF)])


def test_withdraw(db):
    req = svc.request_change(_user(db, "inst_admin"), {"grade": "一级"}, "x", [io.BytesIO(PDF)])
    with pytest.raises(DomainError, match="申请不存在"):
        svc.withdraw_request(_user(db, "inst2_admin"), req.id)
    svc.withdraw_request(_user(db, "inst_admin"), req.id)
    assert svc.pending_request(req.institution_id) is None


def test_location_flow(db):
    inst = _inst(db)
    report = svc.start_location(inst)
    with pytest.raises(ValidationFailed, match="经度须在 73–136 之间"):
        svc.receive_location(report.token, "30.35", "200")
    svc.receive_location(report.token, "30.351234", "114.321234")
    assert svc.poll_location(inst, report.token).latitude == "30.351234"
    with pytest.raises(DomainError):
        svc.poll_location(_inst(db, WUCHANG_CODE), report.token)
    with pytest.raises(DomainError, match="该二维码已使用过"):  # single use: the first position closes it
        svc.receive_location(report.token, "30.1", "114.1")
    fresh = svc.start_location(inst)
    fresh.created_at -= datetime.timedelta(minutes=11)
    db.session.commit()
    with pytest.raises(DomainError, match="二维码已过期"):
        svc.receive_location(fresh.token, "30.1", "114.1")


def test_regional_creation_rules(db):
    region_admin = _user(db, "region_admin")
    jiangxia, wuchang = factories.region("420115"), factories.region("420106")
    assert svc.check_new_institution(region_admin, "江夏区五里界卫生院", "12420115MB1234567T"[:17] + "X",
                                     jiangxia, "乡镇卫生院")
    good_code = "124201157" + "00000000"
    from app.domain.uscc import check_char

    good_code += check_char(good_code)
    assert svc.check_new_institution(region_admin, "江夏区五里界卫生院", good_code, jiangxia, "乡镇卫生院") == []
    assert "所属区域须在本辖区内" in svc.check_new_institution(region_admin, "某某", good_code, wuchang, "乡镇卫生院")


def test_coded_subject_fields_take_values_of_their_national_lists(db):
    inst = _inst(db)
    inst.category, inst.registration_authority = "乡镇卫生院（自填）", "江夏区编办"  # typed before the lists
    db.session.commit()
    choices = svc.subject_choices()
    assert "乡卫生院" in choices["category"] and "国有" in choices["economic_type"]
    assert "三级甲等" in choices["grade"] and "民政部门" in choices["registration_authority"]
    user = _user(db, "inst_admin")
    with pytest.raises(ValidationFailed) as refused:
        svc.request_change(user, {"category": "卫生院", "economic_type": "公有", "grade": "三甲",
                                  "registration_authority": "江夏区编办"}, "更正", [io.BytesIO(PDF)])
    assert refused.value.errors == ["机构类别须从下拉列表中选择（国家标准代码），“卫生院”不在列表中",
                                    "经济类型须从下拉列表中选择（国家标准代码），“公有”不在列表中",
                                    "机构级别须从下拉列表中选择（国家标准代码），“三甲”不在列表中"]
    db.session.rollback()
    req = svc.request_change(user, {"category": "中心卫生院", "economic_type": "国有", "grade": "一级甲等",
                                    "registration_authority": "江夏区编办"}, "更正", [io.BytesIO(PDF)])
    assert set(req.changes) == {"category", "economic_type", "grade"}  # the unchanged old value is not re-checked
