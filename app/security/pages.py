"""The registry of pages (issue 12 item 6): every page that rights are granted on, declared once.

A page is a FAB resource (its views' `class_permission_name`, also the name of its menu entry), its Chinese label,
its rights (read/write/audit/…) and its menu category, which places it in a subsystem (spec 7.2). Everything that
used to walk the menu or repeat the Chinese names reads this instead: the menu registration (views/__init__.py),
the built-in roles (security/roles.py), the permission tree (security/permissions.py), the rule "a ticked page
implies its menu entry" (services/roles.py), the subsystem of a page and the menu filter (security/subsystems.py).

    class DepartmentView(BaseView):
        class_permission_name = pages.DEPARTMENTS.resource

Plain data: no Flask, no database.
"""
from dataclasses import dataclass

# Rights a role can be given on a page, in the order the permission tree shows them (FAB name: "can_" + right).
RIGHT_LABELS = {"read": "查看", "write": "编辑", "audit": "审核", "import": "导入", "export": "导出",
                "fullid": "查看完整证件号", "report": "上报"}
BASIC = "基础资源管理"  # the subsystem of every category not named otherwise (spec 7.2)


@dataclass(frozen=True)
class Category:
    """A top-menu dropdown; `subsystem` None: shown in every subsystem (系统管理)."""

    name: str
    icon: str
    subsystem: str | None = BASIC


@dataclass(frozen=True)
class Page:
    resource: str  # FAB class_permission_name = menu entry name
    label: str  # what the menu, the permission tree and the role pages show
    rights: tuple[str, ...]
    category: Category
    icon: str
    delegable: bool = True  # False: only a 总账号 uses it; never granted to the roles it creates (spec 7.1)

    @property
    def permissions(self) -> list[str]:
        """FAB permission names of the rights ("can_read", …): a view's base_permissions."""
        return [f"can_{r}" for r in self.rights]

    @property
    def subsystem(self) -> str | None:
        return self.category.subsystem


INSTITUTION = Category("机构信息管理", "fa-building")
HUMAN_RESOURCES = Category("机构人力资源", "fa-users")
EMERGENCY = Category("应急资源管理", "fa-ambulance", "应急资源管理")  # spec 五
STATISTICS = Category("统计分析", "fa-bar-chart")  # spec 六 (issue 16)
PROBATION = Category("试用期申报", "fa-graduation-cap", "试用期申报")
REGION = Category("区域管理", "fa-map")
SYSTEM = Category("系统管理", "fa-cogs", None)
CATEGORIES = (INSTITUTION, HUMAN_RESOURCES, STATISTICS, EMERGENCY, PROBATION, REGION, SYSTEM)

RW = ("read", "write")
INSTITUTION_PROFILE = Page("机构信息维护", "机构信息维护", RW, INSTITUTION, "fa-hospital")
DEPARTMENTS = Page("部门管理", "部门管理", RW, INSTITUTION, "fa-sitemap")
POSTS = Page("机构岗位管理", "机构岗位管理", RW, INSTITUTION, "fa-briefcase")
QUOTA = Page("机构编制管理", "机构编制管理", RW, INSTITUTION, "fa-th")
PEOPLE = Page("人员信息管理", "人员信息管理", ("read", "write", "fullid"), HUMAN_RESOURCES, "fa-id-card-o")
PHOTO_WALL = Page("人员信息查询", "人员信息查询", ("read",), HUMAN_RESOURCES, "fa-th")
KEY_GROUPS = Page("人员标签管理", "人员标签管理", RW, HUMAN_RESOURCES, "fa-tags")
IMPORTS = Page("人员信息导入管理", "人员信息导入管理", ("read", "import", "export"), HUMAN_RESOURCES, "fa-upload")
ATTACHMENT_BATCHES = Page("附件批量导入", "附件批量导入", RW, HUMAN_RESOURCES, "fa-picture-o")
RESIGNATIONS = Page("员工离职", "员工离职", ("read", "write", "audit"), HUMAN_RESOURCES, "fa-sign-out")
TRANSFERS = Page("调动申请", "调动申请", RW, HUMAN_RESOURCES, "fa-exchange")
# 统计分析 (spec 六, issue 16): staff counted by any dimension; standard reports, the 卫统 export
STATS = Page("常用统计", "常用统计", ("read",), STATISTICS, "fa-pie-chart")
STAT_REPORTS = Page("常用报表", "常用报表", ("read", "export"), STATISTICS, "fa-table")
VEHICLES = Page("车辆档案管理", "车辆档案管理", RW, EMERGENCY, "fa-ambulance")
EQUIPMENT = Page("应急医疗设备档案管理", "应急医疗设备档案管理", RW, EMERGENCY, "fa-medkit")
REPORT_RIGHTS = ("read", "write", "report")  # 上报 is its own right: an owner can let a clerk draft but not report
CAPACITY_REPORTS = Page("机构能力上报", "机构能力上报", REPORT_RIGHTS, EMERGENCY, "fa-hospital-o")
VEHICLE_REPORTS = Page("机构车辆上报", "机构车辆上报", REPORT_RIGHTS, EMERGENCY, "fa-truck")
DRUG_REPORTS = Page("机构药品上报", "机构药品上报", REPORT_RIGHTS, EMERGENCY, "fa-plus-square")
EQUIPMENT_REPORTS = Page("应急医疗设备上报", "应急医疗设备上报", REPORT_RIGHTS, EMERGENCY, "fa-heartbeat")
# 应急物资资源 / 应急药械资源 (spec 5.5, 5.6): resource × report, the manual's menu names; 上报 saves = reported
SUPPLY_STOCK = Page("物资资源存量上报", "物资资源存量上报", RW, EMERGENCY, "fa-cubes")
SUPPLY_ESTIMATE = Page("物资月估用量填报", "物资月估用量填报", RW, EMERGENCY, "fa-calendar")
SUPPLY_DAILY = Page("物资日消耗上报", "物资日消耗上报", RW, EMERGENCY, "fa-line-chart")
DRUGDEVICE_STOCK = Page("药械存量上报", "药械存量上报", RW, EMERGENCY, "fa-flask")
DRUGDEVICE_DAILY = Page("药械日消耗上报", "药械日消耗上报", RW, EMERGENCY, "fa-line-chart")
DRUGDEVICE_ESTIMATE = Page("药械月估用量填报", "药械月估用量填报", RW, EMERGENCY, "fa-calendar")
SUPPLY_PAGES = {("supply", "stock"): SUPPLY_STOCK, ("supply", "estimate"): SUPPLY_ESTIMATE,
                ("supply", "daily"): SUPPLY_DAILY, ("drugdevice", "stock"): DRUGDEVICE_STOCK,
                ("drugdevice", "daily"): DRUGDEVICE_DAILY, ("drugdevice", "estimate"): DRUGDEVICE_ESTIMATE}
MY_TASKS = Page("我的上报任务", "我的上报任务", ("read",), EMERGENCY, "fa-tasks")
PROBATION_FILING = Page("试用期填报", "试用期填报", RW, PROBATION, "fa-pencil-square-o")
PROBATION_REVIEW = Page("试用期审核", "试用期审核", ("read", "audit", "write"), PROBATION, "fa-check-square-o")
REGION_INSTITUTIONS = Page("辖区机构", "辖区机构", RW, REGION, "fa-hospital")
CHANGE_REVIEW = Page("机构信息变更审核", "机构信息变更审核", ("read", "audit"), REGION, "fa-check")
STANDARD_POSTS = Page("标准岗位", "标准岗位", RW, REGION, "fa-list")
QUOTA_ALLOCATION = Page("编制分配", "编制分配", RW, REGION, "fa-th")
MOVEMENTS = Page("人员流动", "人员流动", ("read",), REGION, "fa-random")
# 汇总 over the region's reported reports; audit = 退回 a report with a reason
EMERGENCY_SUMMARY = Page("应急资源汇总", "应急资源汇总", ("read", "audit"), REGION, "fa-bar-chart")
# 上报任务 (spec "哪些机构上报以上级通知为准"): the region publishes who reports what by when, and sends 催报
REPORT_TASKS = Page("上报任务", "上报任务", RW, REGION, "fa-tasks")
# 统计概览 (issue 16): the region's staff composition, its institutions compared, staff in post by month
REGION_STATS = Page("统计概览", "统计概览", ("read",), REGION, "fa-area-chart")
AUDIT_LOG = Page("操作日志", "操作日志", ("read",), SYSTEM, "fa-history")
ACCOUNTS = Page("账号管理", "账号管理", RW, SYSTEM, "fa-users", delegable=False)
ROLES = Page("角色管理", "角色管理", RW, SYSTEM, "fa-id-badge", delegable=False)
CERT_REVIEW = Page("实名认证审核", "实名认证审核", ("read", "audit"), SYSTEM, "fa-id-card", delegable=False)
DICTIONARY = Page("数据字典", "数据字典", RW, SYSTEM, "fa-book")
REGIONS = Page("行政区划", "行政区划", ("read",), SYSTEM, "fa-sitemap")
# 系统管理 for now (issue 14: the ops console issue moves it); its 查看 also opens the drug type-ahead (views/drugs.py)
DRUG_DICTIONARY = Page("药品字典", "药品字典", RW, SYSTEM, "fa-medkit")
# 运维控制台 (issue 17): the operators' console at /ops (Flask-Admin); its menu entry links there. Only 系统管理员 hold
# it (FAB gives that role every permission; no built-in role and no role an owner makes gets it).
OPS = Page("运维控制台", "运维控制台", RW, SYSTEM, "fa-wrench", delegable=False)

# Menu order: categories in their order, pages in this order within them.
PAGES = (INSTITUTION_PROFILE, DEPARTMENTS, POSTS, QUOTA, PEOPLE, PHOTO_WALL, KEY_GROUPS, IMPORTS, ATTACHMENT_BATCHES,
         RESIGNATIONS, TRANSFERS, STATS, STAT_REPORTS,
         CAPACITY_REPORTS, VEHICLES, VEHICLE_REPORTS, DRUG_REPORTS, EQUIPMENT, EQUIPMENT_REPORTS,
         SUPPLY_STOCK, SUPPLY_ESTIMATE, SUPPLY_DAILY, DRUGDEVICE_STOCK, DRUGDEVICE_DAILY, DRUGDEVICE_ESTIMATE, MY_TASKS,
         PROBATION_FILING, PROBATION_REVIEW, REGION_INSTITUTIONS, CHANGE_REVIEW, STANDARD_POSTS, QUOTA_ALLOCATION,
         MOVEMENTS, EMERGENCY_SUMMARY, REPORT_TASKS, REGION_STATS, AUDIT_LOG, ACCOUNTS, ROLES,
         CERT_REVIEW, DICTIONARY, REGIONS, DRUG_DICTIONARY, OPS)
BY_RESOURCE = {p.resource: p for p in PAGES}
NOT_DELEGABLE = tuple(p.resource for p in PAGES if not p.delegable)


def page(resource: str) -> Page | None:
    return BY_RESOURCE.get(resource)


def category_subsystem(category_name: str) -> str | None:
    """The subsystem of a menu category (None: every subsystem); a category not declared here is 基础资源管理."""
    for category in CATEGORIES:
        if category.name == category_name:
            return category.subsystem
    return BASIC


def menu_names(resources) -> set[str]:
    """Menu entries (and their categories) of the pages among `resources`: what menu_access a role needs to see
    the pages it was given."""
    names = set()
    for resource in resources:
        p = BY_RESOURCE.get(resource)
        if p is not None:
            names.update({p.resource, p.category.name})
    return names
