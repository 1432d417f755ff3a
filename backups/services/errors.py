"""What a backup operation refuses or fails with: domain errors, so the API answers
with the envelope, the admin with a message and the commands with an exit code."""

from foodxchange import errors


class BackupError(errors.DomainError):
    """A backup operation cannot go ahead or failed; the message is for the operator."""

    default_code = "backup_error"
    http_status = 409


class ConfirmationMismatch(BackupError, errors.InvalidInput):
    default_code = "validation_error"
    http_status = 400

    def __init__(self, message: str):
        errors.InvalidInput.__init__(self, message, field="confirm")


class NotRestorable(BackupError, errors.Conflict):
    default_code = "not_restorable"
    http_status = 409


class OperationInProgress(BackupError, errors.Conflict):
    default_code = "operation_in_progress"
    http_status = 409


class VerificationFailed(BackupError):
    default_code = "verification_failed"


class RestoreFailed(BackupError):
    default_code = "restore_failed"
    http_status = 500
