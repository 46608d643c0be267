"""统一社会信用代码 (GB 32100-2015): 18 characters — 登记管理部门代码, 机构类别代码, 6-digit 行政区划码,
9-character 主体标识码, a check character."""
import re

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

# GB 32100-2015 表 1 (with its amendments): 登记管理部门代码 → (name, {机构类别代码: name}).
DEPARTMENTS = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": ("司法行政", {"1": "律师执业机构", "2": "公证处", "3": "基层法律服务所", "4": "司法鉴定机构",
                       "5": "仲裁委员会", "9": "其他"}),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"}),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}


def check_char(first17: str) -> str:
    total = sum(CHARSET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def _table_problems(value: str) -> list[str]:
    department = DEPARTMENTS.get(value[0])
    if department is None:
        listed = "、".join(f"{code} {name}" for code, (name, _) in DEPARTMENTS.items())
        return [f"统一社会信用代码第 1 位（登记管理部门代码）不能是“{value[0]}”，应为：{listed}"]
    name, kinds = department
    if value[1] not in kinds:
        listed = "、".join(f"{code} {kind}" for code, kind in kinds.items())
        return [f"统一社会信用代码第 2 位（机构类别代码）不能是“{value[1]}”：登记管理部门为“{value[0]} {name}”时"
                f"应为 {listed}"]
    return []


def uscc_problems(value: str) -> list[str]:
    """Problems of a 统一社会信用代码, in Chinese; empty when valid."""
    value = (value or "").strip().upper()
    if not PATTERN.match(value):
        return ["统一社会信用代码应为 18 位：数字或大写字母（不含 I、O、S、V、Z），第 3–8 位为行政区划码"]
    problems = _table_problems(value)
    if check_char(value[:17]) != value[17]:
        problems.append("统一社会信用代码校验位不正确，请核对")
    return problems
