"""Password policy (spec 2.2). The one check used by every path that sets a password."""
import string
import unicodedata

from app.domain.errors import ValidationFailed

MIN_LENGTH = 8
FORBIDDEN = {"%": "%", " ": "空格"}
SPECIALS = set(string.punctuation) - set(FORBIDDEN)


def _full_width_symbol(ch: str) -> bool:
    """A Chinese-keyboard symbol (！＠＃、。；…): the user meant a special character but typed it full-width."""
    return not ch.isascii() and unicodedata.category(ch)[0] in "PS"


def _ascii_twin(ch: str) -> str | None:
    """The English symbol a full-width one stands for (！ → !), if any."""
    code = ord(ch)
    twin = chr(code - 0xFEE0) if 0xFF01 <= code <= 0xFF5E else None
    return twin if twin in SPECIALS else None


def _has_run(password: str, length: int = 3) -> str | None:
    """Return the first run of `length` consecutive letters or digits (abc, CBA, 123, 987), else None."""
    for i in range(len(password) - length + 1):
        chunk = password[i : i + length]
        if chunk.isdigit() or (chunk.isascii() and chunk.isalpha()):
            codes = [ord(c) for c in chunk.lower()]
            steps = {b - a for a, b in zip(codes, codes[1:], strict=False)}
            if steps in ({1}, {-1}):
                return chunk
    return None


def password_problems(password: str, confirm: str | None = None) -> list[str]:
    """Every rule the password breaks, as Chinese sentences; empty when it is acceptable."""
    password = password or ""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"密码长度不得少于 {MIN_LENGTH} 位（当前 {len(password)} 位）")
    non_ascii = sorted({c for c in password if not c.isascii() or not c.isprintable()})
    if non_ascii:
        shown = "".join(non_ascii)
        twins = [f"“{c}”改为“{_ascii_twin(c)}”" for c in non_ascii if _ascii_twin(c)]
        problems.append(f"密码只能使用英文字母、数字和英文符号，不能包含中文、全角符号或不可见字符：{shown}"
                        + ("（请切换到英文输入法，" + "、".join(twins) + "）" if twins else ""))
    bad = [name for ch, name in FORBIDDEN.items() if ch in password]
    if bad:
        problems.append("密码不能包含以下字符：" + "、".join(bad))
    missing = []
    if not any("A" <= c <= "Z" for c in password):
        missing.append("大写字母")
    if not any("a" <= c <= "z" for c in password):
        missing.append("小写字母")
    if not any(c.isdigit() and c.isascii() for c in password):
        missing.append("数字")
    # A full-width symbol is reported above as full-width (with its English twin), not also as a missing special.
    if not any(c in SPECIALS or _full_width_symbol(c) for c in password):
        missing.append("特殊字符（如 @ # $ ! - _ 等英文符号）")
    if missing:
        problems.append("密码必须同时包含大写字母、小写字母、数字和特殊字符，缺少：" + "、".join(missing))
    run = _has_run(password)
    if run:
        problems.append(f"密码中不得出现 3 位及以上连续的字母或数字（如 123、abc、987），发现：{run}")
    if confirm is not None and confirm != password:
        problems.append("两次输入的密码不一致")
    return problems


def validate_password(password: str, confirm: str | None = None) -> None:
    """Raise ValidationFailed listing every broken rule."""
    problems = password_problems(password, confirm)
    if problems:
        raise ValidationFailed(problems)
