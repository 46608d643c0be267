"""基本信息 rules one by one, without a database."""
import datetime

import pytest

from app.domain.id_number import check_digit
from app.domain.person import check_basic, completeness, mask_id

ID_RE = r"^[1-8]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dX]$"
RULES = {
    "dicts": {"sex": {"1": "男性", "2": "女性"}, "ethnicity": {"01": "汉族"}, "education": {"1": "研究生", "2": "大学本科",
                                                                                         "3": "大专", "4": "中专"}},
    "id_types": {"01": ("居民身份证", ID_RE, "ISO 7064 MOD 11-2"), "06": ("港澳居民来往内地通行证", r"^[HM]\d{8}(\d{2})?$", "无")},
    "statuses": ["在岗", "离职", "医师资格考试试用期考核人员"],
    "mobile_prefixes": {"139", "138"},
    "today": datetime.date(2026, 11, 26),
}
GOOD = {"name": "王新", "id_type": "01", "id_number": "11010519491231002x", "status": "在岗", "department_id": "1"}


def check(**over):
    return check_basic({**GOOD, **over}, **RULES)


def messages(**over):
    return [e.message for e in check(**over).errors]


def test_valid_record_derives_birth_and_sex_and_normalises_x():
    out = check()
    assert out.errors == []
    assert out.values["id_number"] == "11010519491231002X"
    assert out.values["birth_date"] == datetime.date(1949, 12, 31) and out.values["sex"] == "2"


@pytest.mark.parametrize("over, fragment", [
    ({"name": ""}, "姓名不能为空"),
    ({"id_number": "110105194912310021"}, "校验位不正确"),
    ({"id_number": "4.2011E+17"}, "Excel 改成了科学计数法"),
    ({"id_number": "11010520991231002" + check_digit("11010520991231002")}, "晚于今天"),
    ({"id_type": "06", "id_number": "X1234567"}, "不符合港澳居民来往内地通行证的格式"),
    ({"birth_date": "1950-01-01"}, "出生日期与证件号码中的出生日期（1949-12-31）不一致"),
    ({"sex": "1"}, "性别与证件号码不一致：按证件号码第 17 位应为女性"),
    ({"phone": "1391234567"}, "手机号码须为 11 位数字"),
    ({"work_start": "1960-01"}, "参加工作日期须在出生满 14 周岁之后"),
    ({"work_start": "2027-01-01"}, "参加工作日期不能晚于今天"),
    ({"work_start": "1970年"}, "参加工作日期格式应为 YYYY-MM-DD 或 YYYY-MM"),
    ({"education": "3"}, "学历为大专及以上时，所学专业不能为空"),
    ({"ethnicity": "99"}, "民族须从下拉列表中选择（当前：99）"),
    ({"status": "在编"}, "在职状态须从下拉列表中选择"),
    ({"department_id": ""}, "所在科室不能为空"),
])
def test_each_rule(over, fragment):
    found = messages(**over)
    assert any(fragment in m for m in found), found


def test_major_optional_below_dazhuan_and_month_dates_complete_to_day_one():
    out = check(education="4", work_start="1970-09")
    assert out.errors == [] and out.values["work_start"] == datetime.date(1970, 9, 1)


def test_unallocated_prefix_warns_only():
    out = check(phone="19612345678")
    assert out.errors == [] and "号段 196" in out.warnings[0].message


def test_every_error_is_reported_at_once():
    found = messages(name="", sex="1", phone="12", education="2")
    assert len(found) == 4


def test_a_wrong_citizen_number_is_the_only_error_when_birth_and_sex_are_left_to_it():
    # 性别 and 出生日期 are left blank to be derived from the number: its problem is reported, not two blanks
    assert messages(id_number="110105194912310021") == ["证件号码校验位不正确，请核对号码"]
    assert messages(id_number="4.2011E+17") == ["证件号码被 Excel 改成了科学计数法（如 4.2011E+17），请把该列设为文本后重新输入"]
    # another type derives nothing: its blanks are still reported
    found = messages(id_type="06", id_number="X1234567")
    assert "性别不能为空" in found and "出生日期不能为空" in found


def test_blank_text_is_stored_as_none():
    out = check(staff_no="   ", major=" ")
    assert out.values["staff_no"] is None and out.values["major"] is None


def test_completeness_and_mask():
    pct, missing = completeness({"name": "王新", "id_number": "x"})
    assert pct == 12 and "民族" in missing and "姓名" not in missing
    assert mask_id("420115199001010159") == "4201**********0159"


OLD_ID_RE = r"^[1-8]\d{5}\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}$"
OLD_RULES = {**RULES, "id_types": {**RULES["id_types"],
                                   "01-15": ("居民身份证(15位旧号)", OLD_ID_RE, "GB 11643-1989: 无校验位")}}


def test_a_15_digit_old_number_gives_birth_date_and_sex_like_an_18_digit_one():
    out = check_basic({**GOOD, "id_type": "01-15", "id_number": "110105491231002"}, **OLD_RULES)
    assert out.errors == []
    assert out.values["birth_date"] == datetime.date(1949, 12, 31) and out.values["sex"] == "2"
    male = check_basic({**GOOD, "id_type": "01-15", "id_number": "110105491231003"}, **OLD_RULES)
    assert male.values["sex"] == "1"
    wrong = check_basic({**GOOD, "id_type": "01-15", "id_number": "110105491231003", "sex": "2",
                         "birth_date": "1949-12-30"}, **OLD_RULES)
    assert [e.message for e in wrong.errors] == ["出生日期与证件号码中的出生日期（1949-12-31）不一致",
                                                 "性别与证件号码不一致：按证件号码第 15 位应为男性"]
    # a number of the old type that is not a real date, or not 15 digits, is refused, and its blanks left to it
    bad = check_basic({**GOOD, "id_type": "01-15", "id_number": "110105490231002"}, **OLD_RULES)
    assert [e.message for e in bad.errors] == ["证件号码中的出生日期不是真实日期"]
    short = check_basic({**GOOD, "id_type": "01-15", "id_number": "11010549123100"}, **OLD_RULES)
    assert [e.message for e in short.errors] == ["居民身份证(15位旧号)号码应为 15 位数字"]


def test_the_id_types_list_marks_the_old_number_for_derivation():
    import csv
    import os

    from app.domain.id_number import old_citizen_rule
    path = os.path.join(os.path.dirname(__file__), "..", "..", "app", "data", "id_types.csv")
    with open(path, encoding="utf-8") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    assert old_citizen_rule(rows["居民身份证(15位旧号)"]["check"])
    assert not any(old_citizen_rule(r["check"]) for name, r in rows.items() if name != "居民身份证(15位旧号)")


@pytest.mark.parametrize("name", ["张3", "李四2号", "王５"])
def test_a_name_with_digits_is_refused(name):
    assert messages(name=name) == [f"姓名不能包含数字（当前：{name}）"]


def test_village_clinic_staff_in_post_must_be_probation_staff():
    from app.domain.person import village_status_problem
    problem = village_status_problem("村卫生室", "王家村卫生室", "在岗")
    assert problem.field == "status"
    assert problem.message == ("所在科室“王家村卫生室”是村卫生室：村卫生室人员的在职状态须为“医师资格考试试用期考核人员”"
                               "（当前为“在岗”）")
    assert village_status_problem("村卫生室", "王家村卫生室", "医师资格考试试用期考核人员") is None
    assert village_status_problem("村卫生室", "王家村卫生室", "离职") is None  # leaving stays possible
    assert village_status_problem("科室(部门)", "内科", "在岗") is None


def test_one_predicate_names_the_id_types_whose_numbers_carry_birth_and_sex():
    """id_types.csv: every type whose check is GB 11643 (18) or GB 11643-1989 (15) is recognised by the one
    predicate, the others are not; so 出生日期 / 性别 are derived for all of them alike."""
    import csv
    import os

    from app.domain.id_number import citizen_rule, gb11643_rule
    path = os.path.join(os.path.dirname(__file__), "..", "..", "app", "data", "id_types.csv")
    with open(path, encoding="utf-8") as fh:
        rows = {r["name"]: r for r in csv.DictReader(fh)}
    carrying = {name for name, r in rows.items() if citizen_rule(r["check"])}
    assert carrying == {"居民身份证", "居民身份证(15位旧号)", "居民户口簿", "驾驶证", "港澳台居民居住证",
                        "外国人永久居留身份证(2023版)"}
    assert {name for name, r in rows.items() if gb11643_rule(r["check"])} == carrying - {"居民身份证(15位旧号)"}


def test_a_residence_permit_number_gives_birth_date_and_sex_like_a_citizen_number():
    body = "81000019850612003"
    number = body + check_digit(body)
    rules = {**RULES, "id_types": {**RULES["id_types"], "20": ("港澳台居民居住证", None, "同GB 11643 MOD 11-2")}}
    out = check_basic({**GOOD, "id_type": "20", "id_number": number}, **rules)
    assert out.errors == []
    assert out.values["birth_date"] == datetime.date(1985, 6, 12) and out.values["sex"] == "1"
