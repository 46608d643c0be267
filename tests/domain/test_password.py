import pytest

from app.domain.errors import ValidationFailed
from app.domain.password import password_problems, validate_password


@pytest.mark.parametrize("pw", ["Zjrj@-2007", "Demo@Hb-2580", "Ab1!xz9Q", "Hb#2580wq"])
def test_good_passwords_pass(pw):
    assert password_problems(pw, pw) == []


@pytest.mark.parametrize(
    "pw, fragment",
    [
        ("Ab1@x7", "长度不得少于 8 位"),
        ("zjrj@-2007", "缺少：大写字母"),
        ("ZJRJ@-2007", "缺少：小写字母"),
        ("Zjrj@-ZZZZ", "缺少：数字"),
        ("Zjrjq-2007".replace("-", "k"), "缺少：特殊字符"),
        ("Zjrj@-1237", "发现：123"),
        ("Zjrj@-9876", "发现：987"),
        ("Xabc@-2007", "发现：abc"),
        ("ZCBA@-2007"[0] + "yCBA@-2007", "发现：CBA"),
        ("Zjrj%-2007", "不能包含以下字符：%"),
        ("Zjrj @2007", "空格"),
        ("Zjrj；-2007", "不能包含中文、全角符号"),
        ("Zjrj@-2007密", "不能包含中文、全角符号"),
    ],
)
def test_each_rule_alone(pw, fragment):
    problems = password_problems(pw)
    assert len(problems) == 1, problems
    assert fragment in problems[0]


def test_mismatch_is_reported():
    assert password_problems("Zjrj@-2007", "Zjrj@-2008") == ["两次输入的密码不一致"]


def test_every_broken_rule_is_listed_together():
    problems = password_problems("abc%", "x")
    text = "；".join(problems)
    for fragment in ("长度不得少于", "不能包含以下字符：%", "大写字母", "数字", "特殊字符", "发现：abc", "两次输入"):
        assert fragment in text
    assert len(problems) == 5


def test_mixed_case_run_counts_as_consecutive():
    assert any("aBc" in p for p in password_problems("XaBc@-2007"))


def test_validate_raises_with_all_errors():
    with pytest.raises(ValidationFailed) as exc:
        validate_password("short")
    assert len(exc.value.errors) >= 2
    assert "长度" in exc.value.message


@pytest.mark.parametrize("pw, twin", [("Zjrj！2007", "“！”改为“!”"), ("Zjrj＠2007", "“＠”改为“@”"), ("Zjrj。2007", "")])
def test_a_full_width_symbol_is_one_problem_not_also_a_missing_special(pw, twin):
    problems = password_problems(pw)
    assert len(problems) == 1, problems
    assert "全角符号" in problems[0] and twin in problems[0]
    assert not any("特殊字符" in p for p in problems)
