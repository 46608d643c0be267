"""Security: the SecurityManager subclass, tenancy base views, role seeding."""
