"""STUB: 机构岗位 and 标准岗位 (replaced by the implementation)."""


def seed_standard_posts() -> int:
    """Seed the province's standard post list (idempotent); returns rows added."""
    return 0
