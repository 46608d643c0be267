"""The delete / move-all-staff routes of departments and posts (services/orgtree.py), written once.

A view mixes in `MoveStaffMixin` and says what differs: `_unit(pk)` (404 for a foreign id), `unit_service` (the
module with delete / move_staff / delete_problems), `_move_choices(unit)` ((value, label, depth) of the targets),
`_delete_texts(unit, blocked)` (the page's wording) and the three flash messages. The page is orgtree/delete.html.
"""
from flask import redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_wtf import FlaskForm

from app.views.pages import Errors, act


class MoveStaffMixin:
    """GET /delete/<pk>: what deleting means, or why it cannot be done with the offer to move every staff member;
    POST /delete/<pk>: delete (refused: back to that page, which says why); POST /move/<pk>: move every staff member
    to the chosen unit — then=delete also deletes the emptied unit, in one transaction."""

    unit_service = None
    deleted_message = ""  # "{name}": the deleted unit
    moved_message = ""  # "{moved}", "{name}", "{to}"
    moved_and_deleted_message = ""

    def _unit(self, pk):
        raise NotImplementedError

    def _move_choices(self, unit) -> list[tuple[str, str, int]]:
        raise NotImplementedError

    def _delete_texts(self, unit, blocked) -> dict:
        raise NotImplementedError

    def _delete_page(self, unit, errors=None, target=""):
        blocked = self.unit_service.delete_problems(unit)
        return self.render_template("orgtree/delete.html", unit=unit, blocked=blocked, errors=errors or Errors(),
                                    t=self._delete_texts(unit, blocked), targets=self._move_choices(unit),
                                    target=target, form=FlaskForm())

    @expose("/delete/<int:pk>", methods=["GET", "POST"])
    @has_access
    def delete(self, pk):
        unit = self._unit(pk)
        if request.method != "POST":
            return self._delete_page(unit)
        return act(lambda: self.unit_service.delete(unit.institution_id, unit.id),
                   done=lambda name: (self.deleted_message.format(name=name), url_for(".list")),
                   back=lambda _errors: redirect(url_for(".delete", pk=pk)))  # the page says why

    @expose("/move/<int:pk>", methods=["POST"])
    @has_access
    def move(self, pk):
        unit = self._unit(pk)
        target = request.form.get("target", "")
        and_delete = request.form.get("then") == "delete"
        name = unit.name

        def done(result):
            moved, to = result
            if and_delete:
                return (self.moved_and_deleted_message.format(moved=moved, name=name, to=to.name), url_for(".list"))
            return self.moved_message.format(moved=moved, name=name, to=to.name), url_for(".delete", pk=pk)

        return act(lambda: self.unit_service.move_staff(unit.institution_id, unit.id, target, and_delete=and_delete),
                   done=done, back=lambda errors: self._delete_page(self._unit(pk), errors, target))
