"""The refusals services raise, for views to show: exceptions only, so any module can import them."""


class ServiceError(Exception):
    """A refusal a user can act on; its message is shown to them as is."""


class PermissionDenied(ServiceError):
    pass


class InvalidTransition(ServiceError):
    pass
