"""应急物资资源 and 应急药械资源 (spec 5.5, 5.6): one view family over services/emergency_supplies.py, six menu
entries (resource × report, security/pages.py SUPPLY_PAGES). Issue 15 builds the pages; these are their frames."""
from flask_appbuilder import BaseView, expose, has_access

from app.models.emergency_supplies import SupplyEntry
from app.security import pages
from app.services import emergency_supplies as svc


class SupplyPages:
    """The pages of one resource × report; a subclass sets `resource`, `report`, route_base and its page."""

    resource = report = page = None
    scoped_model = SupplyEntry  # the tenancy sweep calls every <pk> route with foreign entry ids
    default_view = "list"
    method_permission_name = {"list": "read"}
    base_permissions = ["can_read", "can_write"]

    @expose("/list/")
    @has_access
    def list(self):
        return self.render_template("emergency/supplies_list.html", title=svc.menu_name(self.resource, self.report))


def _page(resource, report, route):
    page = pages.SUPPLY_PAGES[(resource, report)]
    name = f"{resource.capitalize()}{report.capitalize()}View"
    return type(name, (SupplyPages, BaseView), {
        "__doc__": f"{page.label} (spec {'5.5' if resource == 'supply' else '5.6'}).", "route_base": route,
        "resource": resource, "report": report, "page": page, "class_permission_name": page.resource,
        "__module__": __name__})


SupplyStockView = _page("supply", "stock", "/supplies/stock")
SupplyEstimateView = _page("supply", "estimate", "/supplies/estimate")
SupplyDailyView = _page("supply", "daily", "/supplies/daily")
DrugdeviceStockView = _page("drugdevice", "stock", "/drugdevices/stock")
DrugdeviceDailyView = _page("drugdevice", "daily", "/drugdevices/daily")
DrugdeviceEstimateView = _page("drugdevice", "estimate", "/drugdevices/estimate")
SUPPLY_VIEWS = {(v.resource, v.report): v for v in (SupplyStockView, SupplyEstimateView, SupplyDailyView,
                                                    DrugdeviceStockView, DrugdeviceDailyView, DrugdeviceEstimateView)}
