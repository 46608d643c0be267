"""手机号码 rules (personnel rules, spec 4.2.4 (5)): 11 digits, ^1[3-9]; an unallocated prefix only warns."""
import re

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def mobile_problems(value: str, label: str = "手机号码") -> list[str]:
    value = (value or "").strip()
    if not MOBILE_RE.match(value):
        return [f"{label}须为 11 位数字且以 13–19 开头（当前：{value or '空'}）"]
    return []


def mobile_warning(value: str, known_prefixes, label: str = "手机号码") -> str | None:
    """A warning (not a refusal) when the first three digits are not an allocated mobile prefix."""
    if MOBILE_RE.match(value or "") and known_prefixes and value[:3] not in known_prefixes:
        return f"{label}号段 {value[:3]} 不在已分配的手机号段中，请核对"
    return None


def mask_phone(number: str | None) -> str:
    """139****5678: the first three and last four characters of a phone number; short values all starred."""
    if not number:
        return ""
    number = str(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:] if len(number) > 7 else "*" * len(number)
