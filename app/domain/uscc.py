"""统一社会信用代码 (GB 32100-2015): 18 characters, the last a check character."""
import re

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def check_char(first17: str) -> str:
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def uscc_problems(value: str) -> list[str]:
    """Problems of a 统一社会信用代码, in Chinese; empty when valid."""
    value = (value or "").strip().upper()
    if not PATTERN.match(value):
        return ["统一社会信用代码应为 18 位：数字或大写字母（不含 I、O、S、V、Z），第 3–8 位为行政区划码"]
    if check_char(value[:17]) != value[17]:
        return ["统一社会信用代码校验位不正确，请核对"]
    return []
