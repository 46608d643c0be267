"""Errors that carry a user-safe Chinese message.

A refusal names its field: `ValidationFailed` holds `FieldError(field, message)` items (field None for a rule of
the whole form), so a page shows each message next to its input and never runs the check again to find out which
field was meant (docs/architecture.md "Field errors")."""
from dataclasses import dataclass


class DomainError(Exception):
    """A rule was broken; `message` is shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str | None
    message: str


def field_error(item) -> FieldError:
    """A FieldError from what a check produced: a message, a (field, message) pair or anything with .field and
    .message (domain.person.FieldIssue)."""
    if isinstance(item, FieldError):
        return item
    if isinstance(item, str):
        return FieldError(None, item)
    if isinstance(item, tuple) and len(item) == 2:
        return FieldError(item[0], str(item[1]))
    if hasattr(item, "message"):
        return FieldError(getattr(item, "field", None), item.message)
    return FieldError(None, str(item))


class ValidationFailed(DomainError):
    """Every broken rule of one input, collected (never just the first).

    `items`: FieldError per problem, in the order found; `errors`: their messages (what a list of problems shows)."""

    def __init__(self, errors):
        self.items = [field_error(e) for e in errors]
        self.errors = [e.message for e in self.items]
        super().__init__("；".join(self.errors))

    def of(self, field: str) -> list[str]:
        """The messages about one field."""
        return [e.message for e in self.items if e.field == field]


class EditConflict(ValidationFailed):
    """A save based on a record that someone else changed since the form was opened (optimistic concurrency).

    `errors` = the headline (who, when) then one line per field that changed in the meantime."""

    def __init__(self, who: str | None, when: str | None, differences=()):
        if who and when:
            headline = f"该记录已被 {who} 于 {when} 修改，请刷新后重新编辑"
        else:
            headline = "该记录已被其他用户修改，请刷新后重新编辑"
        self.who, self.when, self.differences = who, when, list(differences)
        super().__init__([headline, *self.differences])
