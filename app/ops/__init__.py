"""运维控制台 at /ops: Flask-Admin beside FAB (issue 17). Explicit endpoints (Flask-Admin's default "admin" would
clash), the Bootstrap 4 theme, forms with the site's CSRF token, FAB's login and the one right 运维控制台 (only
系统管理员) on every page (app/ops/base.py). Chinese: Flask-Admin's zh_Hans_CN catalogue via BABEL_DEFAULT_LOCALE."""


def init_app(app):
    from flask_admin import Admin
    from flask_admin.theme import Bootstrap4Theme

    from app.extensions import db
    from app.models.audit import AuditLog
    from app.models.dictionary import DictItem
    from app.models.emergency_drugs import DrugItem
    from app.models.emergency_reports import EmergencyIndicator
    from app.models.emergency_supplies import SupplyItem
    from app.models.imports import ImportJob
    from app.models.org import Region, StandardPost
    from app.models.security import User
    from app.ops import views
    from app.ops.base import OpsIndexView

    def nonce():
        from app import csp_nonce

        return csp_nonce()

    import os

    admin = Admin(app, name="运维控制台", url="/ops", endpoint="ops",
                  translations_path=os.path.join(os.path.dirname(__file__), "translations"),
                  index_view=OpsIndexView(name="首页", url="/ops", endpoint="ops", template="ops/index.html"),
                  theme=Bootstrap4Theme(base_template="ops/base.html", fluid=True), csp_nonce_generator=nonce)
    s = db.session
    dictionaries, running, audit = "字典与目录", "运行管理", "审计"
    for view in (
        views.DictionaryOps(DictItem, s, name="数据字典", endpoint="ops_dict", url="/ops/dictionary", category=dictionaries),
        views.RegionOps(Region, s, name="行政区划", endpoint="ops_region", url="/ops/region", category=dictionaries),
        views.StandardPostOps(StandardPost, s, name="标准岗位", endpoint="ops_stdpost", url="/ops/standard-post",
                              category=dictionaries),
        views.DrugOps(DrugItem, s, name="药品字典", endpoint="ops_drug", url="/ops/drug", category=dictionaries),
        views.SupplyItemOps(SupplyItem, s, name="物资药械目录", endpoint="ops_supply", url="/ops/supply-item",
                            category=dictionaries),
        views.IndicatorOps(EmergencyIndicator, s, name="应急上报指标", endpoint="ops_indicator", url="/ops/indicator",
                           category=dictionaries),
        views.ImportJobOps(ImportJob, s, name="导入任务", endpoint="ops_import", url="/ops/import-job", category=running),
        views.LockedAccountOps(User, s, name="锁定账号", endpoint="ops_locked", url="/ops/locked-account",
                               category=running),
        views.HealthOps(name="系统状态", endpoint="ops_health", url="/ops/health", category=running),
        views.StorageOps(name="上传文件", endpoint="ops_storage", url="/ops/storage", category=running),
        views.PurgeOps(name="定期清理", endpoint="ops_purge", url="/ops/purge", category=running),
        views.AuditOps(AuditLog, s, name="审计日志", endpoint="ops_audit", url="/ops/audit", category=audit),
    ):
        admin.add_view(view)
    return admin
