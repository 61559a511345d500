"""Errors a user can cause. Each carries a message that says what to do; the CLI prints
it as one line and exits with the class's exit code."""

from __future__ import annotations


class Terminated(BaseException):
    """SIGTERM (a cron or systemd timeout, `kill`): the command line stops on it as on
    Ctrl-C, so that the nightly job logs the run as interrupted and lets go of the
    index's lock instead of dying where it stands. Not an Exception, which error
    handling would catch, nor a KeyboardInterrupt, which click reports as "aborted"."""


class WiresearchError(Exception):
    """Base of every error wiresearch reports to a user."""

    exit_code = 1


class UsageError(WiresearchError):
    """A bad option value: unknown facet, bad date, bad sort order."""

    exit_code = 2


class QueryError(UsageError):
    """A query the parser cannot take; `position` points at the problem (0-based)."""

    def __init__(self, message: str, query: str = "", position: int | None = None):
        self.query = query
        self.position = position
        if position is not None and query:
            message = f"{message} (at character {position + 1})"
        super().__init__(message)


class IndexNotFoundError(WiresearchError):
    """There is no index where one was expected."""

    exit_code = 3


def damaged(what: str, error: Exception | str) -> IndexNotFoundError:
    """An index whose files are broken or missing for good (not in the middle of being
    replaced by a writer): a rebuild mends it."""
    return IndexNotFoundError(f"{what} is damaged: {error}; rebuild it (index --full, or "
                              "reindex --full)")


class ArticleNotFoundError(WiresearchError):
    exit_code = 4


class EngineUnavailableError(WiresearchError):
    """The index asks for an engine whose package is not installed."""

    exit_code = 5


class NotWritableError(WiresearchError):
    """The index folder may not be written by this user (a run needs its lock file)."""


def not_writable(where: object, error: OSError) -> NotWritableError:
    """A change to an index refused by the file system (permissions, a read-only disk)."""
    return NotWritableError(f"cannot write to {where} ({error.strerror or error}): changing "
                            "an index takes its owner, or a user who may write to all of "
                            "its folder")


class LockedError(WiresearchError):
    """Another process holds the index's writer lock."""

    exit_code = 75  # EX_TEMPFAIL: cron wrappers know to try again later


class ConfigError(UsageError):
    pass
