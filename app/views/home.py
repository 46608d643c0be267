"""Home page."""
from flask import g
from flask_appbuilder import IndexView, expose

from app.services.scope import scope_of


class HomeIndexView(IndexView):
    index_template = "home.html"

    @expose("/")
    def index(self):
        user = g.user if g.user is not None and g.user.is_authenticated else None
        from app.views.report_tasks import institution_panel

        return self.render_template(self.index_template, appbuilder=self.appbuilder, user=user,
                                    scope=scope_of(user) if user else None,
                                    tasks_panel=institution_panel(user) if user else None)
