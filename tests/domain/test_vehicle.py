"""车牌号码 and 车辆识别代号 rules (issue 14, 5.2)."""
import pytest

from app.domain.vehicle import normalize_plate, plate_problems, vin_check_digit, vin_problems


@pytest.mark.parametrize("plate", ["鄂A12345", "鄂AD12345", "鄂AFB1234", "鄂A12345D", "京BX9Z88", "粤Z12345",
                                   " 鄂a·12345 "])
def test_valid_plates(plate):
    assert plate_problems(plate) == []


def test_plate_is_normalised():
    assert normalize_plate(" 鄂a·d12345 ") == "鄂AD12345"


@pytest.mark.parametrize("plate, fragment", [
    ("", "请填写车牌号码"),
    ("A12345鄂", "省份简称"),
    ("鄂A1234", "应为 7 位"),
    ("鄂A123456789", "应为 7 位"),
    ("鄂AO1234", "I 或 O"),
    ("鄂I12345", "I 或 O"),
    ("鄂112345", "格式不正确"),
    ("鄂A1234-", "格式不正确"),
    ("鄂AX12345", "新能源车牌"),
    ("鄂AD1234A", "新能源车牌"),
])
def test_invalid_plates_name_the_field(plate, fragment):
    problems = plate_problems(plate)
    assert len(problems) == 1 and fragment in problems[0]
    assert "车牌号码" in problems[0]


def test_vin_check_digit_of_known_vins():
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"  # the ISO 3779 / Wikipedia example
    assert vin_check_digit("11111111111111111") == "1"


def test_valid_and_empty_vin():
    assert vin_problems("1M8GDM9AXKP042788") == []
    assert vin_problems(" 1m8gdm9axkp042788 ") == []
    assert vin_problems("") == [] and vin_problems(None) == []


@pytest.mark.parametrize("vin, fragment", [
    ("1M8GDM9AXKP04278", "应为 17 位（现为 16 位）"),
    ("1M8GDM9AXKP0427O8", "不含字母 I、O、Q"),
    ("1M8GDQ9AXKP042788", "不含字母 I、O、Q"),
    ("1M8GDM9A1KP042788", "第 9 位校验位应为 X（现为 1）"),
])
def test_invalid_vins_name_the_field(vin, fragment):
    problems = vin_problems(vin)
    assert len(problems) == 1 and fragment in problems[0] and "车辆识别代号" in problems[0]
