"""The KexploreError hierarchy: every error a user can see, with a title and a fix."""

from __future__ import annotations


class KexploreError(Exception):
    """An error shown to the user as one line: what went wrong and how to fix it."""

    exit_code = 2
    title = "error"

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def one_line(self) -> str:
        """The message as the CLI prints it."""
        text = f"kexplore: {self.title}: {self.message}"
        return f"{text} ({self.fix})" if self.fix else text


class UsageError(KexploreError):
    """A bad command-line argument."""

    title = "bad argument"


class InputError(KexploreError):
    """An input file that cannot be read or parsed (names file:line)."""

    title = "bad input"


class NotFoundError(KexploreError):
    """A source or target that names no object in the cluster data."""

    title = "not found"


class SourceError(KexploreError):
    """The cluster data could not be read at all (unreachable, forbidden, credentials)."""

    exit_code = 3
    title = "cannot read the cluster"


class ApiUnreachableError(SourceError):
    """The API server did not answer."""

    title = "API server unreachable"


class ApiForbiddenError(SourceError):
    """The credentials lack a permission that is needed."""

    title = "forbidden"


class CredentialsError(SourceError):
    """The kubeconfig or its credentials are missing, invalid or expired."""

    title = "credentials"


class ProbeError(KexploreError):
    """A probe could not be run (no permission, container not running, tool missing)."""

    exit_code = 3
    title = "probe failed to run"
