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
