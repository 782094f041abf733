"""Every failure of the command line as one thing: a line on stderr for people, a JSON object
on stdout for scripts (``--json``), and an exit code a script can switch on.

Exit codes: 0 success, 2 bad input, 3 not authenticated, 4 budget exhausted,
5 unavailable or deadline exceeded, 1 anything else. No traceback ever reaches the user:
``run_app`` turns every exception into one of these.
"""

from __future__ import annotations

import errno
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from typer._click import exceptions as click_errors
from typer.exceptions import TyperException

from shared.grpc_errors import from_rpc_error

EXIT_BY_CODE = {
    "INVALID_ARGUMENT": 2,
    "FAILED_PRECONDITION": 2,
    "NOT_FOUND": 2,
    "OUT_OF_RANGE": 2,
    "UNAUTHENTICATED": 3,
    "PERMISSION_DENIED": 3,
    "RESOURCE_EXHAUSTED": 4,
    "UNAVAILABLE": 5,
    "DEADLINE_EXCEEDED": 5,
}
# Reasons whose message already says it all (a bad flag names the flag).
_SELF_EXPLAINING = frozenset({"INVALID_FLAG", "PHOTO_NOT_FOUND", "EMPTY_INPUT", "OS_ERROR"})
# How many of a long list of known names (regions, destinations) an error shows.
KNOWN_NAMES_SHOWN = 12


@dataclass
class CliError(Exception):
    """A failure the user can act on. ``code`` is a gRPC code name, ``reason`` a stable word."""

    message: str
    code: str = "INVALID_ARGUMENT"
    reason: str = "INVALID_FLAG"
    details: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    # The server's ErrorInfo metadata, for callers that act on it (not shown).
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def exit_code(self) -> int:
        return EXIT_BY_CODE.get(self.code, 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "reason": self.reason,
                "message": self.message,
                "details": [dict(d) for d in self.details],
                "exit_code": self.exit_code,
            }
        }


def bad_value(flag: str, value: object, choices: Sequence[str], why: str = "") -> CliError:
    """``--flag X`` is not one of the choices (named, briefly when there are many)."""
    return CliError(
        f"{flag} {value}: {why or 'not a valid choice'}; choose from {brief(choices)}",
        details=({"field": flag, "value": str(value), "choices": list(choices)},),
    )


def brief(names: Sequence[str]) -> str:
    shown = ", ".join(names[:KNOWN_NAMES_SHOWN])
    more = len(names) - KNOWN_NAMES_SHOWN
    return f"{shown} … ({more} more)" if more > 0 else shown


def from_grpc(error: grpc.aio.AioRpcError) -> CliError:
    """A failed call as a CliError: the server's reason and details, in one line."""
    problem = from_rpc_error(error, "factoryfinder")
    details: list[dict[str, Any]] = []
    message = problem.message
    if problem.reason == "UNKNOWN_REGION":
        # The server lists every known name; a person needs the bad one and a hint.
        unknown = problem.metadata.get("unknown", "")
        known = [n for n in problem.metadata.get("known", "").split(",") if n]
        message = f"unknown region {unknown}; known regions include {brief(known)}"
        details.append({"field": "--region", "value": unknown, "choices": known})
    else:
        for violation in problem.field_violations:
            details.append({"field": violation.field, "description": violation.description})
        for quota in problem.quota_violations:
            details.append({"quota": quota.subject, "description": quota.description})
        extra = [f"{v.field}: {v.description}" for v in problem.field_violations]
        extra += [f"{q.subject}: {q.description}" for q in problem.quota_violations]
        extra = [e for e in extra if e.split(": ", 1)[-1] not in message]
        if extra:
            message += " (" + "; ".join(extra) + ")"
    if problem.retry_after_seconds is not None:
        details.append({"retry_after_seconds": round(problem.retry_after_seconds)})
        message += f"; retry after {problem.retry_after_seconds:.0f} s"
    if problem.reason == "SERVICE_UNAVAILABLE":
        message += " (is `factoryfinder up` running? see --target)"
    return CliError(message, problem.code.value, problem.reason, details, dict(problem.metadata))


def report(error: CliError, as_json: bool) -> int:
    """Show ``error`` (stdout JSON or one stderr line) and return its exit code."""
    if as_json:
        print(json.dumps(error.as_dict(), ensure_ascii=False, indent=2), flush=True)
    else:
        one_line = " ".join(error.message.split())
        if error.reason not in _SELF_EXPLAINING:
            one_line = f"{error.reason}: {one_line}"
        print(f"factoryfinder: error: {one_line}", file=sys.stderr, flush=True)
    return error.exit_code


def from_click(error: TyperException, argv: Sequence[str] = ()) -> CliError:
    """Typer/click's usage errors (bad choice, missing argument) as one line that names the
    value given (click's own words for a bad number do not)."""
    message = error.format_message().replace("Value error, ", "")
    param = getattr(error, "param", None)
    given = _given(argv, list(getattr(param, "opts", None) or []))
    if given is not None and repr(given) not in message and f"{given}" not in message:
        message = message.replace(": ", f": {given!r}: ", 1) if ": " in message else message
    if isinstance(error, click_errors.UsageError) and error.ctx is not None:
        command = error.ctx.command_path.removeprefix("factoryfinder").strip()
        message = f"{command}: {message}" if command else message
    return CliError(message, details=({"usage": error.format_message()},))


def _given(argv: Sequence[str], options: Sequence[str]) -> str | None:
    """What the user wrote after ``--option`` (or as ``--option=value``), the last one wins."""
    found = None
    for index, token in enumerate(argv):
        for option in options:
            if token == option and index + 1 < len(argv):
                found = argv[index + 1]
            elif token.startswith(option + "="):
                found = token[len(option) + 1 :]
    return found


def from_unexpected(error: BaseException) -> CliError:
    """A failure nobody planned for: still one line, with what Python said."""
    if isinstance(error, OSError) and error.errno == errno.EADDRINUSE:
        return CliError(
            f"the port is in use ({error.strerror}): stop what holds it or choose another port",
            "FAILED_PRECONDITION",
            "PORT_IN_USE",
        )
    if isinstance(error, OSError) and error.filename:
        return CliError(f"{error.filename}: {error.strerror}", "FAILED_PRECONDITION", "OS_ERROR")
    text = str(error) or type(error).__name__
    return CliError(f"unexpected {type(error).__name__}: {text}", "UNKNOWN", "INTERNAL")
