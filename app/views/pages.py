"""The page helper of every hand-written form page (docs/architecture.md "Pages").

CSRF is checked once for the whole site (app.extensions.csrf, before any view runs; its refusal is the one
"页面已过期" page), so a view never checks a token. A view calls a service through `form_page` (a form that is
shown again with its typed values and the refusal next to each field) or `act` (a button: flash and redirect);
a DomainError becomes `Errors`, the service's transaction has already rolled back, and the view never commits or
rolls back.

    @expose("/edit/<int:pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        dept = self._department(pk)
        form = DepartmentForm(data=None if request.method == "POST" else departments.form_values(dept))
        return form_page(
            save=lambda: departments.update(dept.institution_id, pk, **form.data, version=opened_version()),
            done=lambda _: (f"部门“{dept.name}”已保存", url_for(".list")),
            render=lambda errors: self.render_template("departments/form.html", form=form, errors=errors))
"""
from flask import flash, redirect, request

from app.domain.errors import DomainError, FieldError, ValidationFailed
from app.services.transaction import discard


class Errors:
    """The refusal of one form: iterable as its messages (a template's `{% for e in errors %}`), `of(field)` for
    the messages shown next to an input, `general(shown_fields)` for the ones shown above the form."""

    def __init__(self, items=()):
        if isinstance(items, ValidationFailed):
            items = items.items
        elif isinstance(items, DomainError):
            items = [FieldError(None, items.message)]
        self.items = [i if isinstance(i, FieldError) else FieldError(None, str(i)) for i in items]

    @classmethod
    def of_exception(cls, exc: DomainError) -> "Errors":
        return cls(exc)

    def __iter__(self):
        return iter([i.message for i in self.items])

    def __len__(self):
        return len(self.items)

    def __bool__(self):
        return bool(self.items)

    def __eq__(self, other):  # an Errors equals the list of its messages (tests, old callers)
        return list(self) == list(other) if isinstance(other, (list, tuple, Errors)) else NotImplemented

    def __add__(self, other):
        more = other.items if isinstance(other, Errors) else Errors(other).items
        return Errors([*self.items, *more])

    def of(self, field: str) -> list[str]:
        return [i.message for i in self.items if i.field == field]

    def fields(self) -> set:
        return {i.field for i in self.items if i.field}

    def general(self, shown=()) -> list[str]:
        """Messages not shown next to an input: those without a field, or about a field not in `shown`."""
        shown = set(shown)
        return [i.message for i in self.items if not i.field or i.field not in shown]

    def text(self) -> str:
        return "；".join(self)


def attempt(call, *args, **kwargs):
    """(result, Errors()) of a service call; on a DomainError (None, its Errors) — nothing of it stays in the
    session."""
    try:
        return call(*args, **kwargs), Errors()
    except DomainError as exc:
        discard()
        return None, Errors(exc)


def _finish(done, value):
    outcome = done(value)
    if not isinstance(outcome, tuple):
        return outcome  # a response of the view's own
    message, url, *category = outcome
    if message:
        flash(message, category[0] if category else "success")
    return redirect(url)


def form_page(*, save, render, done):
    """GET: `render(Errors())`. POST: `save()`; refused → `render(errors)` (the form keeps what was typed);
    done → `done(result)` gives (message, url[, category]) to flash and redirect to, or a response."""
    if request.method != "POST":
        return render(Errors())
    value, errors = attempt(save)
    if errors:
        return render(errors)
    return _finish(done, value)


def act(call, *, done, back, category="danger"):
    """A button's POST: `call()`; refused → flash the messages and redirect to `back` (a URL, or a callable of the
    Errors returning a response: e.g. the page shown again with them); done → `done(result)` as in form_page."""
    value, errors = attempt(call)
    if errors:
        if callable(back):
            return back(errors)
        flash(errors.text(), category)
        return redirect(back)
    return _finish(done, value)
