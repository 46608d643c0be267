"""居民身份证号码 (GB 11643-1999): check digit, birth date, sex."""
import datetime
import functools
import re
from operator import mul

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ASCII_ZEROS = ord("0") * sum(WEIGHTS)  # what the weighted sum of ASCII digit codes adds to the digits' sum
CHECK_MAP = "10X98765432"
PATTERN = re.compile(r"^[1-8]\d{5}(18|19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{3}[\dX]$")


def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(first17) != 17:
        raise ValueError("check_digit needs the first 17 digits")
    if first17.isascii() and first17.isdigit():  # the common case, three times faster (the import checks every row's number)
        return CHECK_MAP[(sum(map(mul, first17.encode(), WEIGHTS)) - _ASCII_ZEROS) % 11]
    return CHECK_MAP[sum(map(mul, map(int, first17), WEIGHTS)) % 11]


def id_problems(value: str, today: datetime.date | None = None) -> list[str]:
    """Every problem of an 18-digit ID number, in Chinese; empty when valid."""
    value = (value or "").strip().upper()
    today = today or datetime.date.today()
    if not PATTERN.match(value):
        return ["证件号码格式不正确：居民身份证应为 18 位（前 17 位数字，末位数字或 X）"]
    problems = []
    birth = _birth_problem(value, today)
    if birth:
        problems.append(birth)
    if check_digit(value[:17]) != value[17]:
        problems.append("证件号码校验位不正确，请核对号码")
    return problems


def birth_date(value: str) -> datetime.date:
    """The birth date in an 18-digit number, or in a 15-digit one (GB 11643-1989: YYMMDD, the year in 19xx)."""
    if len(value) == 15:
        return datetime.date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def sex_code(value: str) -> str:
    """'1' 男性 when the sex digit (the 17th of 18, the 15th of 15) is odd, '2' 女性 when even (GB/T 2261.1)."""
    return "1" if int(value[16 if len(value) == 18 else 14]) % 2 else "2"


_SCIENTIFIC = re.compile(r"\d(\.\d+)?E\+\d+")


@functools.lru_cache(maxsize=64)
def _compiled(regex: str) -> re.Pattern:
    return re.compile(regex)


# How id_types.csv's `check` column names the GB 11643-1999 rule (18 characters, ISO 7064 MOD 11-2 check digit,
# birth date at 7–14, sex digit 17): 居民身份证, 户口簿 / 驾驶证 (同居民身份证), 港澳台居民居住证, 外国人永久居留身份证.
GB11643_CHECKS = ("ISO 7064", "同居民身份证", "同GB 11643", "MOD 11-2")


@functools.lru_cache(maxsize=64)
def gb11643_rule(check: str | None) -> bool:
    """The ID type's `check` (id_types.csv) says its numbers are 18-character GB 11643-1999 ones."""
    return (check or "").startswith(GB11643_CHECKS)


OLD_CITIZEN_CHECK = "GB 11643-1989"  # id_types.csv: the 15-digit 居民身份证 (no check digit, year 19xx)


@functools.lru_cache(maxsize=64)
def old_citizen_rule(check: str | None) -> bool:
    """The ID type's `check` says its numbers are 15-digit GB 11643-1989 ones (birth date and sex inside)."""
    return (check or "").startswith(OLD_CITIZEN_CHECK)


@functools.lru_cache(maxsize=64)
def citizen_rule(check: str | None) -> bool:
    """The ID type's numbers carry a birth date and sex (checked, and 出生日期 / 性别 derived, from the number):
    GB 11643-1999 (18) or GB 11643-1989 (15). The one predicate of "a 居民身份证-like type"."""
    return gb11643_rule(check) or old_citizen_rule(check)


def derived_birth_and_sex(value: str, check: str | None) -> tuple[datetime.date, str] | None:
    """(出生日期, 性别 code) a valid number of this ID type gives: an 18-digit GB 11643 number or a 15-digit
    GB 11643-1989 one; None for other types. Call only after `id_problems_by_type` found no problem."""
    if (len(value) == 18 and gb11643_rule(check)) or (len(value) == 15 and old_citizen_rule(check)):
        return birth_date(value), sex_code(value)
    return None


def _birth_problem(value: str, today: datetime.date) -> str | None:
    try:
        birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "证件号码中的出生日期不是真实日期"
    return "证件号码中的出生日期晚于今天" if birth > (today or datetime.date.today()) else None


MASKED_ID_MESSAGE = ("证件号码中间几位已按权限隐去（如 4201**********0159），不能用于保存或导入：请填写完整号码，"
                     "或请有“查看完整证件号”权限的账号导出后再导入")


def id_problems_by_type(value: str, type_name: str, regex: str | None, check: str | None,
                        today: datetime.date | None = None) -> list[str]:
    """证件号码 checked by its type (id_types.csv): GB 11643 for 身份证-like numbers, else the type's regex."""
    value = (value or "").strip().upper()
    if not value:
        return ["证件号码不能为空"]
    if "*" in value:  # 4201**********0159: a masked number copied from a page or an export made without the right
        return [MASKED_ID_MESSAGE]
    if "E+" in value and _SCIENTIFIC.fullmatch(value):
        return ["证件号码被 Excel 改成了科学计数法（如 4.2011E+17），请把该列设为文本后重新输入"]
    gb11643 = gb11643_rule(check)
    if gb11643 and len(value) == 18:
        problems = [] if not regex or _compiled(regex).match(value) else [f"证件号码不符合{type_name}的格式"]
        if not problems and not value[:17].isdigit():
            problems.append(f"证件号码不符合{type_name}的格式")
        if not problems and check_digit(value[:17]) != value[17]:
            problems.append("证件号码校验位不正确，请核对号码")
        if not problems and value[6:8] in ("18", "19", "20"):
            birth = _birth_problem(value, today)
            if birth:
                problems.append(birth)
        return problems
    if gb11643:
        return [f"{type_name}号码应为 18 位"]
    if old_citizen_rule(check):
        if len(value) != 15 or not value.isdigit():
            return [f"{type_name}号码应为 15 位数字"]
        if regex and not _compiled(regex).match(value):
            return [f"证件号码不符合{type_name}的格式"]
        try:
            birth = birth_date(value)
        except ValueError:
            return ["证件号码中的出生日期不是真实日期"]
        return ["证件号码中的出生日期晚于今天"] if birth > (today or datetime.date.today()) else []
    if regex and not _compiled(regex).match(value):
        return [f"证件号码不符合{type_name}的格式"]
    return []
