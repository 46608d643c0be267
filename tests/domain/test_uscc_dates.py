import datetime

import pytest

from app.domain.dates import UNTIL_NOW, parse_date
from app.domain.uscc import check_char, uscc_problems


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
