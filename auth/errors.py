"""Malformed requests answer a 4xx with a short reason, never a 500 with a stack trace in the log."""

from __future__ import annotations

import logging

from dash.exceptions import DependencyException
from flask import Flask, jsonify
from werkzeug.wrappers import Response

log = logging.getLogger("onescreen.http")


def install(server: Flask) -> None:
    """Error handlers for requests that name something that is not there."""

    @server.errorhandler(DependencyException)
    def unknown_component_file(exc: DependencyException) -> tuple[Response, int]:
        """/_dash-component-suites/<package>/<file> for a package or file Dash does not serve."""
        log.info("unknown component file requested: %s", str(exc).splitlines()[0][:200])
        return jsonify(error="no such component file"), 404
