"""The whole menu in one place. The only module that registers views."""


def register(appbuilder):
    from flask import current_app

    from app.security.subsystems import install_menu_filter
    from app.views import concurrency
    from app.views.account import ChangePasswordView
    from app.views.accounts import AccountView, RolePermissionView, RoleProfileView
    from app.views.certification import CertificationView, CertReviewView
    from app.views.departments import DepartmentView
    from app.views.imports import AttachmentBatchView, ImportView
    from app.views.institution_profile import ChangeReviewView, InstitutionProfileView, LocationView
    from app.views.people import PersonView
    from app.views.person_files import PersonFileView
    from app.views.photowall import KeyGroupView, PhotoWallView
    from app.views.posts import PostView, StandardPostView
    from app.views.probation import ProbationReviewView, ProbationView
    from app.views.profile import ProfileView
    from app.views.quota import QuotaAllocationView, QuotaView
    from app.views.region import RegionInstitutionView
    from app.views.subsystems import SubsystemView
    from app.views.system import AuditLogView, DictItemView, RegionView

    concurrency.install(current_app)
    appbuilder.add_view_no_menu(ChangePasswordView())
    appbuilder.add_view_no_menu(SubsystemView())
    appbuilder.add_view_no_menu(ProfileView())

    # 机构信息管理 (spec 三)
    appbuilder.add_view(InstitutionProfileView, "机构信息维护", label="机构信息维护", icon="fa-hospital",
                        category="机构信息管理", category_label="机构信息管理", category_icon="fa-building")
    appbuilder.add_view(DepartmentView, "部门管理", label="部门管理", icon="fa-sitemap", category="机构信息管理")
    appbuilder.add_view(PostView, "机构岗位管理", label="机构岗位管理", icon="fa-briefcase", category="机构信息管理")
    appbuilder.add_view(QuotaView, "机构编制管理", label="机构编制管理", icon="fa-th", category="机构信息管理")
    appbuilder.add_view_no_menu(LocationView())

    # 机构人力资源 (spec 四)
    appbuilder.add_view(PersonView, "人员信息管理", label="人员信息管理", icon="fa-id-card-o",
                        category="机构人力资源", category_label="机构人力资源", category_icon="fa-users")
    appbuilder.add_view(PhotoWallView, "人员信息查询", label="人员信息查询", icon="fa-th", category="机构人力资源")
    appbuilder.add_view(KeyGroupView, "人员标签管理", label="人员标签管理", icon="fa-tags", category="机构人力资源")
    appbuilder.add_view(ImportView, "人员信息导入管理", label="人员信息导入管理", icon="fa-upload",
                        category="机构人力资源")
    appbuilder.add_view(AttachmentBatchView, "附件批量导入", label="附件批量导入", icon="fa-picture-o",
                        category="机构人力资源")
    appbuilder.add_view_no_menu(PersonFileView())

    # 试用期申报 (its own subsystem; spec 4.2.6)
    appbuilder.add_view(ProbationView, "试用期填报", label="试用期填报", icon="fa-pencil-square-o",
                        category="试用期申报", category_label="试用期申报", category_icon="fa-graduation-cap")
    appbuilder.add_view(ProbationReviewView, "试用期审核", label="试用期审核", icon="fa-check-square-o",
                        category="试用期申报")

    # 区域管理 (regional accounts)
    appbuilder.add_view(RegionInstitutionView, "辖区机构", label="辖区机构", icon="fa-hospital",
                        category="区域管理", category_label="区域管理", category_icon="fa-map")
    appbuilder.add_view(ChangeReviewView, "机构信息变更审核", label="机构信息变更审核", icon="fa-check",
                        category="区域管理")
    appbuilder.add_view(StandardPostView, "标准岗位", label="标准岗位", icon="fa-list", category="区域管理")
    appbuilder.add_view(QuotaAllocationView, "编制分配", label="编制分配", icon="fa-th", category="区域管理")

    appbuilder.add_view(AuditLogView, "操作日志", label="操作日志", icon="fa-history",
                        category="系统管理", category_label="系统管理", category_icon="fa-cogs")
    appbuilder.add_view(AccountView, "账号管理", label="账号管理", icon="fa-users", category="系统管理")
    appbuilder.add_view(RoleProfileView, "角色管理", label="角色管理", icon="fa-id-badge", category="系统管理")
    appbuilder.add_view_no_menu(RolePermissionView())
    appbuilder.add_view(CertReviewView, "实名认证审核", label="实名认证审核", icon="fa-id-card", category="系统管理")
    appbuilder.add_view_no_menu(CertificationView())
    appbuilder.add_view(DictItemView, "数据字典", label="数据字典", icon="fa-book", category="系统管理")
    appbuilder.add_view(RegionView, "行政区划", label="行政区划", icon="fa-sitemap", category="系统管理")

    # FAB's own account and role pages belong to 系统管理 (spec 七); user groups and statistics are not used.
    security = appbuilder.menu.find("Security")
    system = appbuilder.menu.find("系统管理")
    if security is not None:
        appbuilder.menu.menu.remove(security)
        kept = [c for c in security.childs if c.name not in ("List Groups", "User's Statistics", "-")]
        system.childs = kept + system.childs
    install_menu_filter(appbuilder)
    from app.security.display import shown_id

    current_app.jinja_env.globals["shown_id"] = shown_id  # every template shows 证件号码 through the one rule
