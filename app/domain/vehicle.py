"""车辆 rules (spec 5.2, emergency.md): 车牌号码 and 车辆识别代号 (VIN). Pure: standard library only.

车牌号码: province abbreviation + issuing-authority letter + 5 characters (ordinary plates, 鄂A12345) or 6
(new-energy plates: D/F + a letter or digit + 4 digits for small cars, 鄂AD12345; 5 digits + D/F for large ones,
鄂A12345D). Letters never include I or O (GA 36). VIN: 17 characters, no I/O/Q, position 9 the ISO 3779 check digit
(GB 16735 makes it compulsory in China)."""
import re

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # no I, O
_ORDINARY = re.compile(rf"^[{PROVINCES}][{_LETTER}][{_LETTER}0-9]{{5}}$")
_NEW_ENERGY = re.compile(rf"^[{PROVINCES}][{_LETTER}](?:[DF][{_LETTER}0-9][0-9]{{4}}|[0-9]{{5}}[DF])$")

VIN_LENGTH = 17
_VIN_CHARS = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")  # no I, O, Q
_VIN_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9), strict=True)), **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def normalize_plate(value: str | None) -> str:
    return (value or "").strip().upper().replace(" ", "").replace("·", "")


def plate_problems(value: str | None) -> list[str]:
    """Messages for a 车牌号码 (already normalised or not); [] when it is a valid ordinary or new-energy plate."""
    plate = normalize_plate(value)
    if not plate:
        return ["请填写车牌号码"]
    if plate[0] not in PROVINCES:
        return [f"车牌号码“{plate}”须以省份简称开头（如 鄂A12345）"]
    if len(plate) not in (7, 8):
        return [f"车牌号码“{plate}”应为 7 位（普通车牌，如 鄂A12345）或 8 位（新能源车牌，如 鄂AD12345）"]
    if "I" in plate or "O" in plate:
        return [f"车牌号码“{plate}”不能含字母 I 或 O"]
    if len(plate) == 7 and not _ORDINARY.match(plate):
        return [f"车牌号码“{plate}”格式不正确：省份简称 + 发牌机关字母 + 5 位字母或数字"]
    if len(plate) == 8 and not _NEW_ENERGY.match(plate):
        return [f"车牌号码“{plate}”不是有效的新能源车牌：省份简称 + 字母 + D/F 开头的 6 位（小型车）或 D/F 结尾的 6 位（大型车）"]
    return []


def vin_check_digit(vin: str) -> str:
    """The ISO 3779 check character of a 17-character VIN ('0'–'9' or 'X')."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    rest = total % 11
    return "X" if rest == 10 else str(rest)


def normalize_vin(value: str | None) -> str:
    return (value or "").strip().upper().replace(" ", "")


def vin_problems(value: str | None) -> list[str]:
    """Messages for a 车辆识别代号; [] for an empty (optional) or valid one."""
    vin = normalize_vin(value)
    if not vin:
        return []
    if len(vin) != VIN_LENGTH:
        return [f"车辆识别代号应为 17 位（现为 {len(vin)} 位）"]
    if not _VIN_CHARS.match(vin):
        return ["车辆识别代号只能由数字和字母组成，且不含字母 I、O、Q"]
    expected = vin_check_digit(vin)
    if vin[8] != expected:
        return [f"车辆识别代号第 9 位校验位应为 {expected}（现为 {vin[8]}），请核对"]
    return []
