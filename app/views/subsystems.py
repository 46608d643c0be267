"""The top-bar subsystem switcher."""
from flask import abort, g, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_login import login_required

from app.models.enums import SUBSYSTEMS


class SubsystemView(BaseView):
    """The top-bar switcher."""

    route_base = "/subsystem"

    @expose("/<int:index>")
    @login_required
    def switch(self, index):
        if index >= len(SUBSYSTEMS) or SUBSYSTEMS[index] not in g.user.subsystem_list:
            abort(403)
        session["subsystem"] = SUBSYSTEMS[index]
        return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                        else url_for("HomeIndexView.index"))
