"""Errors that carry a user-safe Chinese message."""


class DomainError(Exception):
    """A rule was broken; `message` is shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationFailed(DomainError):
    """Every broken rule of one input, collected (never just the first)."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("；".join(self.errors))


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
