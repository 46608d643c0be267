"""SQLAlchemy models, one module per domain. Importing this package registers every table."""
from app.models.audit import AuditLog  # noqa: F401
from app.models.dictionary import DictItem  # noqa: F401
from app.models.emergency_drugs import DrugItem  # noqa: F401
from app.models.emergency_registers import Equipment, Vehicle  # noqa: F401
from app.models.emergency_reports import EmergencyIndicator, EmergencyReport, EmergencyReportLine  # noqa: F401
from app.models.emergency_supplies import SupplyDay, SupplyEntry, SupplyItem  # noqa: F401
from app.models.imports import ImportJob  # noqa: F401
from app.models.movements import Resignation, TransferRequest  # noqa: F401
from app.models.org import (  # noqa: F401
    Branch,
    Department,
    DepartmentQuota,
    Institution,
    InstitutionFieldHistory,
    InstitutionFile,
    Post,
    QuotaAllocation,
    Region,
    StandardPost,
)
from app.models.people import (  # noqa: F401
    Education,
    KeyGroup,
    Person,
    PracticeCertificate,
    Probation,
    ProbationWindow,
    Qualification,
    TitleQualification,
    Training,
    WorkExperience,
)
from app.models.report_tasks import ReportReminder, ReportTask, ReportTaskInstitution  # noqa: F401
from app.models.security import LoginAttempt, RealNameCertification, RoleProfile, User  # noqa: F401
from app.models.workflow import ChangeRequest, LocationReport, ReviewRecord  # noqa: F401
