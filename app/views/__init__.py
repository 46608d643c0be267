"""The whole menu in one place. The only module that registers views."""


def register(appbuilder):
    from flask import current_app

    from app import api
    from app.security import pages
    from app.security.subsystems import install_menu_filter
    from app.views import concurrency
    from app.views.account_admin import AccountView, RolePermissionView, RoleProfileView
    from app.views.certification import CertificationView, CertReviewView
    from app.views.departments import DepartmentView
    from app.views.drugs import DrugItemView, DrugSearchView
    from app.views.emergency_registers import EquipmentView, VehicleView
    from app.views.emergency_reports import (
        CapacityReportView,
        DrugReportView,
        EquipmentReportView,
        VehicleReportView,
    )
    from app.views.emergency_summary import EmergencySummaryView
    from app.views.emergency_supplies import SUPPLY_VIEWS
    from app.views.imports import AttachmentBatchView, ImportView
    from app.views.institution_profile import ChangeReviewView, InstitutionProfileView, LocationView
    from app.views.password import ChangePasswordView
    from app.views.people import PersonView
    from app.views.person_files import PersonFileView
    from app.views.photowall import KeyGroupView, PhotoWallView
    from app.views.posts import PostView, StandardPostView
    from app.views.probation import ProbationReviewView, ProbationView
    from app.views.profile import ProfileView
    from app.views.quota import QuotaAllocationView, QuotaView
    from app.views.region import MovementView, RegionInstitutionView
    from app.views.report_tasks import MyTaskView, ReportTaskView
    from app.views.resignations import ResignationView
    from app.views.stats import StatsView
    from app.views.stats_completeness import CompletenessView
    from app.views.stats_hr import HrReportView
    from app.views.stats_region import RegionStatsView
    from app.views.stats_reports import StatReportView
    from app.views.subsystems import SubsystemView
    from app.views.system import AuditLogView, DictItemView, OpsLinkView, RegionView
    from app.views.transfers import TransferView

    concurrency.install(current_app)
    appbuilder.add_view_no_menu(ChangePasswordView())
    appbuilder.add_view_no_menu(SubsystemView())
    appbuilder.add_view_no_menu(ProfileView())

    # The menu, in the registry's order (app/security/pages.py: label, icon, category of each page). Views without a
    # menu entry of their own share a page's rights (LocationView, PersonFileView, RolePermissionView).
    menu = {pages.INSTITUTION_PROFILE: InstitutionProfileView, pages.DEPARTMENTS: DepartmentView, pages.POSTS: PostView,
            pages.QUOTA: QuotaView, pages.PEOPLE: PersonView, pages.PHOTO_WALL: PhotoWallView,
            pages.KEY_GROUPS: KeyGroupView, pages.IMPORTS: ImportView, pages.ATTACHMENT_BATCHES: AttachmentBatchView,
            pages.RESIGNATIONS: ResignationView, pages.TRANSFERS: TransferView,
            pages.STATS: StatsView, pages.STAT_REPORTS: StatReportView, pages.REGION_STATS: RegionStatsView,
            pages.VEHICLES: VehicleView, pages.EQUIPMENT: EquipmentView, pages.MOVEMENTS: MovementView,
            pages.CAPACITY_REPORTS: CapacityReportView, pages.VEHICLE_REPORTS: VehicleReportView,
            pages.DRUG_REPORTS: DrugReportView, pages.EQUIPMENT_REPORTS: EquipmentReportView,
            pages.EMERGENCY_SUMMARY: EmergencySummaryView, pages.REPORT_TASKS: ReportTaskView,
            pages.MY_TASKS: MyTaskView,
            **{pages.SUPPLY_PAGES[key]: view for key, view in SUPPLY_VIEWS.items()},
            pages.PROBATION_FILING: ProbationView, pages.PROBATION_REVIEW: ProbationReviewView,
            pages.REGION_INSTITUTIONS: RegionInstitutionView, pages.CHANGE_REVIEW: ChangeReviewView,
            pages.STANDARD_POSTS: StandardPostView, pages.QUOTA_ALLOCATION: QuotaAllocationView,
            pages.AUDIT_LOG: AuditLogView, pages.ACCOUNTS: AccountView, pages.ROLES: RoleProfileView,
            pages.CERT_REVIEW: CertReviewView, pages.DICTIONARY: DictItemView, pages.REGIONS: RegionView,
            pages.DRUG_DICTIONARY: DrugItemView, pages.OPS: OpsLinkView}
    subsystem_by_view = {}
    for page in pages.PAGES:
        view = menu[page]
        if view.class_permission_name != page.resource:
            raise RuntimeError(f"{view.__name__}.class_permission_name is not {page.resource!r} (security/pages.py)")
        appbuilder.add_view(view, page.resource, label=page.label, icon=page.icon, category=page.category.name,
                            category_label=page.category.name, category_icon=page.category.icon)
        subsystem_by_view[view.__name__] = page.subsystem
    for view in (LocationView, PersonFileView, RolePermissionView, CertificationView, DrugSearchView, HrReportView,
                 CompletenessView):
        appbuilder.add_view_no_menu(view())
    current_app.extensions["subsystem_by_view"] = subsystem_by_view  # security/subsystems.subsystem_of_endpoint

    # FAB's own account and role pages belong to 系统管理 (spec 七); user groups and statistics are not used.
    security = appbuilder.menu.find("Security")
    system = appbuilder.menu.find("系统管理")
    if security is not None:
        appbuilder.menu.menu.remove(security)
        kept = [c for c in security.childs if c.name not in ("List Groups", "User's Statistics", "-")]
        system.childs = kept + system.childs
    install_menu_filter(appbuilder)
    api.register(appbuilder)  # the REST API /api/v1 (app/api)
    from app.security.masking import shown_id

    current_app.jinja_env.globals["shown_id"] = shown_id  # every template shows 证件号码 through the one rule
    from app.views.system import history_link

    current_app.jinja_env.globals["history_link"] = history_link  # 修改记录 on the record pages
