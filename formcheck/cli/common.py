"""What every command shares: one-line user errors and exit codes, logging set-up."""

from __future__ import annotations

import logging
import sys

import typer

from formcheck.errors import FormcheckError

EXIT_INTERRUPTED = 130


def _user_errors(func):
    """Turn user errors and Ctrl-C inside a command into one line and an exit code."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except FormcheckError as exc:
            print(f"formcheck: error: {exc}", file=sys.stderr)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            print("formcheck: interrupted; no partial results were kept", file=sys.stderr)
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="formcheck: %(levelname)s: %(message)s", stream=sys.stderr)


