"""The generic rule of 机构能力上报 (spec 5.1): 各分项的数量之和不能超过总数.

An indicator may name its group total; every value is a non-negative integer, each part ≤ its total and the sum of
the parts ≤ the total. Every problem of the form is returned at once, each named by the field it belongs to. Pure:
the catalogue comes from the caller (services.emergency_reports reads it from the database)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    total: str | None = None  # the code of the group total this indicator is a part of


def parse(raw) -> int | None:
    """A non-negative integer from what was typed, or None when it is not one."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if raw >= 0 else None
    text = str(raw if raw is not None else "").strip()
    return int(text) if text.isdigit() else None


def check(indicators, values) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """(the parsed values, [(code, message), …]): a blank or non-integer value, a part above its total, the sum
    of a group's parts above its total."""
    parsed, problems = {}, []
    for ind in indicators:
        raw = values.get(ind.code)
        if raw is None or str(raw).strip() == "":
            problems.append((ind.code, f"请填写{ind.name}（没有请填 0）"))
            continue
        number = parse(raw)
        if number is None:
            problems.append((ind.code, f"{ind.name}须为不小于 0 的整数"))
            continue
        parsed[ind.code] = number
    by_code = {ind.code: ind for ind in indicators}
    for total in indicators:
        parts = [ind for ind in indicators if ind.total == total.code]
        if not parts or total.code not in parsed:
            continue
        whole = parsed[total.code]
        for part in parts:
            if parsed.get(part.code, 0) > whole:
                problems.append((part.code, f"{part.name} {parsed[part.code]} 大于{total.name} {whole}"))
        counted = [(p, parsed[p.code]) for p in parts if parsed.get(p.code)]
        added = sum(n for _, n in counted)
        if added > whole:
            terms = " + ".join(f"{p.name} {n}" for p, n in counted)
            problems.append((total.code, f"{total.name} {whole} 小于分项之和 {added}（{terms}）"))
    for ind in indicators:  # a part naming a total that is not in the catalogue is the catalogue's error
        if ind.total and ind.total not in by_code:
            problems.append((ind.code, f"{ind.name}的总数指标 {ind.total} 不存在"))
    return parsed, problems
