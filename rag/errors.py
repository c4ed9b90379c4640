"""The small exception family. `cli.py` maps these to exit codes, `ui/api/errors.py` to
HTTP statuses."""

from __future__ import annotations


class RagError(Exception):
    """Base class: an expected failure with a message that tells the user what to do."""

    exit_code = 1


class BadInputError(RagError):
    """The user gave something we cannot use (bad flag, unreadable file, empty question)."""

    exit_code = 2


class ConfigError(RagError):
    """The configuration is wrong (bad variable, missing key, optional extra not installed)."""

    exit_code = 2


class LockedError(RagError):
    """Another process holds the index's write lock."""

    exit_code = 2


class IndexMissingError(RagError):
    """The index does not exist or holds nothing yet."""

    exit_code = 3


class BackendError(RagError):
    """A backend (Chroma server, LLM endpoint, model runtime) failed."""

    exit_code = 4
