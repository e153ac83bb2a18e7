"""The errors a user can meet, each carrying one line to print.

    PalimpsestError                 anything the CLI prints as ``error: …`` (exit 1)
    ├── UsageError                  a bad argument (exit 2)
    │   ├── InvalidURL              not an http(s) URL with a host
    │   ├── BadDuration             not like 45s, 15m, 2h, 1d
    │   ├── InvalidChannel          not an Apprise URL, or a bad rule or template
    │   └── UnknownSetting          a PALIMPSEST_* variable nobody declared
    ├── NotFound
    │   ├── UnknownWatch            no watch with that id or URL
    │   ├── UnknownVersion          no such version of a watch
    │   └── UnknownChannel          no alert channel with that id
    └── DatabaseUnavailable         cannot open, reach or migrate the database

Anything else is a bug: the CLI prints one line too, and the traceback with ``--debug``.
"""


class PalimpsestError(Exception):
    """An error whose message is meant for the user, on one line."""

    exit_code = 1


class UsageError(PalimpsestError):
    exit_code = 2


class InvalidURL(UsageError):
    pass


class BadDuration(UsageError):
    pass


class UnknownSetting(UsageError):
    pass


class InvalidChannel(UsageError):
    pass


class NotFound(PalimpsestError):
    pass


class UnknownWatch(NotFound):
    pass


class UnknownVersion(NotFound):
    pass


class UnknownChannel(NotFound):
    pass


class DatabaseUnavailable(PalimpsestError):
    pass


def one_line(exc: BaseException) -> str:
    """An exception as one line for a log: its type and the first line of its message."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0]}" if lines else type(orig).__name__
