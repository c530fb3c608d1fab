"""The JSON APIs' one error shape, {"error": "..."}, and the decorator that maps exceptions to it (never a trace)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

from flask import Response, jsonify, request

# (exception class or classes, HTTP status, fixed message or None for the exception's own)
Statuses = Sequence[tuple[type[BaseException] | tuple[type[BaseException], ...], int, str | None]]


def json_error(message: str, status: int) -> tuple[Response, int]:
    """The one error shape every JSON route returns."""
    return jsonify({"error": message}), status


def guarded_by(log: logging.Logger, what: str,
               statuses: Statuses) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator answering the first matching exception with its status (503s logged as a warning) and anything
    else with a logged 500 'internal error'."""
    def guarded(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except Exception as exc:
                for kinds, status, fixed in statuses:
                    if isinstance(exc, kinds):
                        if status == 503:
                            log.warning("%s: store unavailable: %s", what, exc)
                        return json_error(fixed or str(exc), status)
                log.exception("%s failed", what)
                return json_error("internal error", 500)
        return wrapper
    return guarded


def json_object(error: type[ValueError] = ValueError) -> dict[str, Any]:
    """The request's JSON object body (an empty one when there is no body); `error` with the reason otherwise."""
    if not request.get_data():
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise error("the body must be a JSON object")
    return data
