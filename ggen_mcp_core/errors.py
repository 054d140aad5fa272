"""Exceptions a plugin raises and the host turns into clear results."""

from __future__ import annotations


class ToolError(Exception):
    """A failure the caller can act on: its message reaches the client as an ``isError`` result.

    Raise it from a handler with a message a person can act on, e.g.
    ``ToolError("graph 'urn:x' does not exist; loaded graphs: urn:a, urn:b")``.
    Any other exception is reported as an internal error without its text (the log keeps the traceback).
    """


class PluginUnavailable(Exception):
    """Raise at import time when an optional dependency is missing: the plugin is marked ``unavailable``."""


class PluginRegistrationError(Exception):
    """A plugin broke the registration contract (docs/plugins.md, "What registration refuses"): the loader
    marks it ``failed_register`` with this message. Not a :class:`ToolError`: no client call is involved."""


class WorkspaceError(ToolError):
    """The workspace refused a path or a file; catch this for every refusal below."""


class PathOutsideWorkspace(WorkspaceError):
    """A path that resolves outside the workspace, or is otherwise not allowed."""


class FileTooLarge(WorkspaceError):
    """A file over the size limit the reader gave; the message names the size and the limit."""


class NotARegularFile(WorkspaceError):
    """A path that exists but is not a regular file (a folder, a device, a FIFO) where a file was needed."""


class ProtectedPath(ToolError):
    """A user-directed write aimed at a path the write policy protects (``.git/``, ``.ggen/``, ``ggen.lock``
    or one the operator added with the setting ``protected_paths``); the message names the path and why."""


class PathTooLong(WorkspaceError):
    """A path longer than the file system allows: one component over ``NAME_MAX`` bytes or the whole path
    over ``PATH_MAX`` bytes; the message names the limit. Not a :class:`PathOutsideWorkspace`: the path may
    well be inside the workspace."""
