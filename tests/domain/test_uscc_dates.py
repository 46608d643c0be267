import datetime

import pytest

from app.domain.dates import UNTIL_NOW, parse_date
from app.domain.uscc import CHARSET, check_char, uscc_problems


@pytest.mark.parametrize("code", ["124201154201150159", "124201064201060209", "91110000600037341L"])
def test_valid_codes(code):
    assert uscc_problems(code) == []
    assert check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code, fragment", [
    ("124201154201150158", "校验位不正确"), ("12420115420115015", "应为 18 位"), ("12420115420115015I", "应为 18 位"),
    ("1242011A4201150159", "第 3–8 位为行政区划码"),
])
def test_invalid_codes(code, fragment):
    assert fragment in uscc_problems(code)[0]


def test_dates():
    assert parse_date("2020-09-01") == datetime.date(2020, 9, 1)
    assert parse_date("2020-09") == datetime.date(2020, 9, 1)
    assert parse_date("2020/9/3") == datetime.date(2020, 9, 3)
    assert parse_date("  ") is None
    assert parse_date("至今", allow_until_now=True) == UNTIL_NOW
    with pytest.raises(ValueError, match="不能填写“至今”"):
        parse_date("至今", "开业日期")
    with pytest.raises(ValueError, match="开业日期格式应为 YYYY-MM-DD"):
        parse_date("2020年9月", "开业日期")
    with pytest.raises(ValueError, match="不是真实的日期"):
        parse_date("2021-02-30")


def _with_check(first17):
    return first17 + check_char(first17)


@pytest.mark.parametrize("first17, fragment", [
    ("02420115420115015", "第 1 位（登记管理部门代码）不能是“0”"),
    ("B2420115420115015", "第 1 位（登记管理部门代码）不能是“B”"),
    ("14420115420115015", "第 2 位（机构类别代码）不能是“4”：登记管理部门为“1 机构编制”时应为 1 机关、2 事业单位、"
                          "3 中央编办直接管理机构编制的群众团体、9 其他"),
    ("99420115420115015", "第 2 位（机构类别代码）不能是“9”：登记管理部门为“9 工商”"),
    ("Y2420115420115015", "登记管理部门为“Y 其他”时应为 1 其他"),
])
def test_first_and_second_characters_follow_gb_32100_tables(first17, fragment):
    problems = uscc_problems(_with_check(first17))
    assert len(problems) == 1 and fragment in problems[0]


@pytest.mark.parametrize("first17", ["11420115420115015", "12420115420115015", "13420115420115015",
                                     "52420115420115015", "91420115420115015", "92420115420115015",
                                     "A1420115420115015", "N2420115420115015", "Y1420115420115015"])
def test_codes_of_the_tables_pass(first17):
    assert uscc_problems(_with_check(first17)) == []


def test_demo_and_factory_codes_pass():
    from app.services.seed import DEMO_INSTITUTIONS

    for code, *_ in DEMO_INSTITUTIONS:
        assert uscc_problems(code) == [], code
    first17 = "12420115MB0000001"  # the shape tests/factories.py builds
    assert uscc_problems(_with_check(first17)) == []


def test_agrees_with_python_stdnum_on_random_codes():
    """20,000 seeded random codes (most with a right check character). python-stdnum's cn.uscc checks length,
    digits in places 1–8 and the check character, not GB 32100's tables: we refuse whatever it refuses (except the
    letter departments A, N, Y, which it does not know), and where we refuse more, it is for the tables."""
    import random

    from stdnum.cn import uscc as std

    rng = random.Random(32100)
    digits = "0123456789"
    accepted = refused_for_tables = 0
    for _ in range(20_000):
        alphabet = CHARSET if rng.random() < 0.3 else digits
        head = rng.choice(alphabet) + rng.choice(alphabet)
        first17 = head + "".join(rng.choice(digits) for _ in range(6)) + "".join(rng.choice(CHARSET) for _ in range(9))
        code = _with_check(first17) if rng.random() < 0.9 else first17 + rng.choice(CHARSET)
        ours = uscc_problems(code)
        theirs = std.is_valid(code)
        if not ours:
            accepted += 1
            assert theirs or code[0] in "ANY", code
        elif theirs:
            refused_for_tables += 1
            assert len(ours) == 1 and ("第 1 位（登记管理部门代码）" in ours[0] or "第 2 位（机构类别代码）" in ours[0]), code
        elif code[0] in digits and code[1] in digits and check_char(code[:17]) != code[17]:
            assert any("校验位不正确" in p for p in ours), code
    assert accepted > 1000 and refused_for_tables > 1000
