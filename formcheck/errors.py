"""Exceptions that formcheck raises for problems a user can fix.

The command line turns each into one line on stderr and a non-zero exit code;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class FormcheckError(Exception):
    """Base class for user-facing errors. ``exit_code`` is what the CLI returns."""

    exit_code = 2


class InputError(FormcheckError):
    """The input path is missing, a folder, or not readable."""


class VideoReadError(FormcheckError):
    """The file is empty, corrupt, or not a video OpenCV/FFmpeg can decode."""


class ModelError(FormcheckError):
    """The pose model file is missing, damaged, or not a Pose Landmarker bundle."""


class NoRunnerFoundError(FormcheckError):
    """Nobody (or too little of anybody) was detected in the clip."""

    exit_code = 3


class ClipTooShortError(FormcheckError):
    """The clip holds too few detected frames or steps to measure anything."""

    exit_code = 3


class OutputError(FormcheckError):
    """The output location cannot be written (read-only, full, not a folder)."""


class LibraryError(FormcheckError):
    """The session library cannot be opened, read or written (locked, read-only,
    damaged, from a newer formcheck, unreachable server)."""
