"""The form side of optimistic concurrency (services/concurrency.py): every edit form renders
`{{ version_field(record) }}` (the version it was opened with, kept as posted when the form comes back refused)
and passes `opened_version()` to its service, which refuses a stale save with EditConflict — a ValidationFailed,
so the page re-renders with the typed values and the message like any other refusal."""
from flask import request
from markupsafe import Markup, escape

from app.services import concurrency


def opened_version():
    """The version the posted form was opened with (None when the form carries none)."""
    return concurrency.parse(request.form.get(concurrency.FIELD))


def version_field(record) -> Markup:
    if record is None or getattr(record, concurrency.FIELD, None) is None:
        return Markup("")
    posted = request.form.get(concurrency.FIELD) if request.method == "POST" else None
    value = posted if concurrency.parse(posted) is not None else record.version
    return Markup(f'<input type="hidden" name="{concurrency.FIELD}" value="{escape(value)}">')


def install(app):
    app.jinja_env.globals["version_field"] = version_field


VERSION_LABEL = "版本号"


class VersionedEditMixin:
    """For FAB ModelViews with an edit form: a hidden `version` field, compared in pre_update (FAB then flashes the
    refusal — EditConflict's message, who / when / fields — and goes back to the list; its form keeps no input)."""

    version_labels = None  # {column: label} for the field list; default: the view's label_columns

    def __init__(self, **kwargs):
        from wtforms import HiddenField

        self.edit_form_extra_fields = {**(self.edit_form_extra_fields or {}), concurrency.FIELD: HiddenField()}
        self.label_columns = {**(self.label_columns or {}), concurrency.FIELD: VERSION_LABEL}
        if self.edit_columns and concurrency.FIELD not in self.edit_columns:
            self.edit_columns = [*self.edit_columns, concurrency.FIELD]
        super().__init__(**kwargs)

    def pre_update(self, item):
        from sqlalchemy import inspect
        from sqlalchemy.orm.attributes import set_committed_value

        history = inspect(item).attrs[concurrency.FIELD].history
        if history.deleted:  # populate_obj wrote the posted text into the column: put the loaded version back
            set_committed_value(item, concurrency.FIELD, history.deleted[0])
        concurrency.check(item, opened_version(), self.version_labels or self.label_columns)
        super().pre_update(item)
