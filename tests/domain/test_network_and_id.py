import datetime

import pytest

from app.domain.id_number import check_digit, id_problems
from app.domain.network import is_internet

CIDRS = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8,::1/128"


@pytest.mark.parametrize("addr, internet", [
    ("10.3.4.5", False), ("172.20.0.1", False), ("192.168.1.9", False), ("127.0.0.1", False), ("::1", False),
    ("8.8.8.8", True), ("172.32.0.1", True), ("2001:db8::1", True), ("::ffff:10.1.1.1", False), ("", True),
    ("not-an-ip", True),
])
def test_internet_is_outside_the_health_network(addr, internet):
    assert is_internet(addr, CIDRS) is internet


def test_check_digit_of_known_number():
    # GB 11643 worked example: 11010519491231002 → X
    assert check_digit("11010519491231002") == "X"


def test_id_problems():
    assert id_problems("11010519491231002X") == []
    assert id_problems("110105194912310021") == ["证件号码校验位不正确，请核对号码"]
    assert "不是真实日期" in id_problems("110105194902300020")[0]
    future = id_problems("110105209912310023", today=datetime.date(2026, 11, 26))
    assert any("晚于今天" in p for p in future)
    assert "格式不正确" in id_problems("4.2011E+17")[0]
