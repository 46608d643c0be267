"""Photos and attachment images of staff, served only to users whose scope includes the person."""
from flask import abort, g
from flask_appbuilder import BaseView, expose, has_access

from app.domain.errors import DomainError
from app.models.people import Person
from app.security import pages
from app.services import people
from app.services.scope import scope_of
from app.views.files import send_stored


class PersonFileView(BaseView):
    """/personfile/photo/<pk>[?thumb=1] and /personfile/<set>/<entry pk>/<index>[?thumb=1]; no public URLs."""

    route_base = "/personfile"
    class_permission_name = pages.PEOPLE.resource
    method_permission_name = {"photo": "read", "attachment": "read"}
    base_permissions = ["can_read"]
    scoped_model = Person

    @expose("/photo/<int:pk>")
    @expose("/photo/<int:pk>/<size>")
    @has_access
    def photo(self, pk, size="full"):
        try:
            person = people.get_person(scope_of(g.user), pk)
        except DomainError:
            abort(404)
        path = person.photo_thumb if size == "thumb" and person.photo_thumb else person.photo_path
        if not path:
            abort(404)
        return send_stored(path, max_age=3600)

    @expose("/<set_key>/<int:pk>/<int:index>")
    @expose("/<set_key>/<int:pk>/<int:index>/<size>")
    @has_access
    def attachment(self, set_key, pk, index, size="full"):
        try:
            _, entry = people.get_detail(scope_of(g.user), set_key, pk)
        except DomainError:
            abort(404)
        files = entry.attachments or []
        if index >= len(files):
            abort(404)
        path = files[index].get("thumb") if size == "thumb" and files[index].get("thumb") else files[index]["path"]
        return send_stored(path, files[index].get("filename"), max_age=3600)
