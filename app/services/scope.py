"""Who sees what: an account's scope is its institution, its region subtree, or (系统管理员) everything."""
from dataclasses import dataclass

from sqlalchemy import false, select

from app.extensions import db
from app.models.org import Institution, Region


@dataclass(frozen=True)
class Scope:
    kind: str  # "all" | "institution" | "region" | "none"
    institution_id: int | None = None
    region_path: str | None = None

    def institutions_clause(self, column):
        """A WHERE clause limiting `column` (an institution id column) to this scope."""
        if self.kind == "all":
            return None
        if self.kind == "institution":
            return column == self.institution_id
        if self.kind == "region":
            return column.in_(region_institution_ids(self.region_path))
        return false()

    def allows_institution(self, institution_id) -> bool:
        clause = self.institutions_clause(Institution.id)
        if clause is None:
            return True
        return db.session.scalar(select(Institution.id).where(Institution.id == institution_id, clause)) is not None


def region_institution_ids(region_path: str):
    """Subquery: ids of every institution in the region subtree whose path starts with region_path."""
    return (
        select(Institution.id)
        .join(Region, Institution.region_id == Region.id)
        .where(Region.path.startswith(region_path))
        .scalar_subquery()
    )


def scope_of(user) -> Scope:
    if user is None or not getattr(user, "is_authenticated", False):
        return Scope("none")
    if getattr(user, "institution_id", None):
        return Scope("institution", institution_id=user.institution_id)
    if getattr(user, "region_id", None):
        return Scope("region", region_path=user.region.path)
    if any(role.name == _admin_role_name() for role in user.roles):
        return Scope("all")
    return Scope("none")


def _admin_role_name():
    from flask import current_app  # config only; no request state

    return current_app.config["AUTH_ROLE_ADMIN"]


def own_region(user, refusal: str):
    """The caller's own region for a regional page (None for 系统管理员: every region); DomainError(refusal) for an
    institution account."""
    from app.domain.errors import DomainError

    sc = scope_of(user)
    if sc.kind == "region":
        return user.region
    if sc.kind == "all":
        return None
    raise DomainError(refusal)


def region_trail(root, region) -> list:
    """The regions from `root` (or the top) down to `region`: a regional page's breadcrumb."""
    trail, node = [], region
    while node is not None:
        trail.insert(0, node)
        if root is not None and node.id == root.id:
            break
        node = node.parent
    return trail
