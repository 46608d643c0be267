"""The generic rule of 机构能力上报 without HTTP: 各分项的数量之和不能超过总数 (spec 5.1)."""
from app.domain.capacity import Indicator, check

BEDS = [Indicator("beds", "实有床位数"), Indicator("icu", "重症监护床位数", "beds"),
        Indicator("np", "负压病房床位数", "beds")]


def test_the_sum_of_parts_above_the_total_names_the_group_and_both_numbers():
    _, problems = check(BEDS, {"beds": "20", "icu": "8", "np": "15"})
    assert problems == [("beds", "实有床位数 20 小于分项之和 23（重症监护床位数 8 + 负压病房床位数 15）")]


def test_a_part_above_its_total_is_refused_on_the_part():
    _, problems = check(BEDS, {"beds": "5", "icu": "6", "np": "0"})
    assert ("icu", "重症监护床位数 6 大于实有床位数 5") in problems
    assert ("beds", "实有床位数 5 小于分项之和 6（重症监护床位数 6）") in problems


def test_parts_within_the_total_pass_and_are_parsed():
    parsed, problems = check(BEDS, {"beds": " 30 ", "icu": "8", "np": "15"})
    assert problems == [] and parsed == {"beds": 30, "icu": 8, "np": 15}


def test_a_group_with_no_parts_takes_any_non_negative_integer():
    parsed, problems = check([Indicator("teams", "可出诊医疗队数")], {"teams": "0"})
    assert problems == [] and parsed == {"teams": 0}


def test_all_errors_of_the_form_at_once():
    indicators = [*BEDS, Indicator("staff", "卫生技术人员数"), Indicator("nurses", "注册护士数", "staff"),
                  Indicator("teams", "可出诊医疗队数")]
    _, problems = check(indicators, {"beds": "10", "icu": "11", "np": "-1", "staff": "2", "nurses": "3",
                                     "teams": ""})
    fields = [field for field, _ in problems]
    assert set(fields) == {"beds", "icu", "np", "nurses", "staff", "teams"}
    assert ("np", "负压病房床位数须为不小于 0 的整数") in problems
    assert ("teams", "请填写可出诊医疗队数（没有请填 0）") in problems
    assert ("staff", "卫生技术人员数 2 小于分项之和 3（注册护士数 3）") in problems


def test_decimals_and_text_are_not_counts():
    _, problems = check([Indicator("ct", "CT 台数")], {"ct": "1.5"})
    assert problems == [("ct", "CT 台数须为不小于 0 的整数")]
