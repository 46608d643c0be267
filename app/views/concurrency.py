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
