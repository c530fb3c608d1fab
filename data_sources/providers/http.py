"""The one place real sources do network I/O: GET with a timeout, JSON/XML parsing, latency, typed errors."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.readings import SourceError

USER_AGENT = "OneScreen/0.1 (+https://github.com/onescreen; city operations wall)"
MAX_BODY = 32 * 1024 * 1024  # a feed page larger than this is a broken server, not data


class SourceTimeout(SourceError):
    """The provider did not answer within the source's timeout."""


class SourceHTTPError(SourceError):
    """The provider answered with a non-2xx status (or could not be reached at all: status 0)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class SourcePayloadError(SourceError):
    """The provider answered 2xx but the body is not what its documentation promises."""


@dataclass(frozen=True, slots=True)
class Response:
    """A fetched body with what health reporting needs."""

    status: int
    body: bytes
    latency_ms: float
    headers: Mapping[str, str]


def _detail(body: bytes) -> str:
    """A short, printable excerpt of an error body (Open311 and AMap put the reason there)."""
    text = body[:300].decode("utf-8", errors="replace").strip()
    return " ".join(text.split())


class HttpPolled:
    """For sources that poll over HTTP: the latency their health reports is the client's, summed over the poll."""

    http: HttpClient

    @property
    def last_latency_ms(self) -> float:
        """Time spent on HTTP in the last poll (all its requests)."""
        return self.http.poll_latency_ms


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answered as errors (their 3xx status), not followed."""

    def redirect_request(self, *_: Any, **__: Any) -> None:
        return None


class HttpClient:
    """GETs against one provider; records each request's latency and the total of the current poll."""

    def __init__(self, base_url: str, *, headers: Mapping[str, str] | None = None, timeout_s: float = 10.0,
                 opener: Callable[..., Any] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}
        self.timeout_s = timeout_s
        self._open = opener or urllib.request.urlopen
        self._post_open = opener or urllib.request.build_opener(_NoRedirect).open
        self.last_latency_ms: float | None = None
        self.poll_latency_ms = 0.0

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """Absolute URL for a path (or a full URL) with query parameters (None values dropped)."""
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if query:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(query, safe=",;:")
        return url

    def get(self, path: str, params: Mapping[str, Any] | None = None, *,
            headers: Mapping[str, str] | None = None) -> Response:
        """One GET; every failure becomes a SourceError subclass with the URL path in its message."""
        url = self.url(path, params)
        return self._send(urllib.request.Request(url, headers={**self.headers, **(headers or {})}, method="GET"), url)

    def post_form(self, path: str, form: Mapping[str, Any], *, headers: Mapping[str, str] | None = None) -> Response:
        """One POST of a urlencoded form (Open311 GeoReport v2 posts so); failures as get's. A redirect is not
        followed (urllib would turn the POST into a GET without its form): it is an error with its 3xx status."""
        url = self.url(path)
        body = urllib.parse.urlencode({k: v for k, v in form.items() if v is not None}).encode()
        req = urllib.request.Request(url, data=body, method="POST", headers={
            **self.headers, "Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
        return self._send(req, url, self._post_open)

    def _send(self, req: urllib.request.Request, url: str, opener: Callable[..., Any] | None = None) -> Response:
        shown = urllib.parse.urlsplit(url).path or "/"
        t0 = time.perf_counter()
        try:
            with (opener or self._open)(req, timeout=self.timeout_s) as resp:
                body = resp.read(MAX_BODY + 1)
                status, hdrs = resp.status, dict(resp.headers.items())
        except urllib.error.HTTPError as exc:
            self._record(t0)
            body = exc.read(4096) if exc.fp else b""
            raise SourceHTTPError(f"HTTP {exc.code} from {shown}: {_detail(body) or exc.reason}", exc.code) from exc
        except TimeoutError as exc:
            self._record(t0)
            raise SourceTimeout(f"timeout after {self.timeout_s:g} s: {shown}") from exc
        except urllib.error.URLError as exc:
            self._record(t0)
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise SourceTimeout(f"timeout after {self.timeout_s:g} s: {shown}") from exc
            raise SourceHTTPError(f"cannot reach {shown}: {exc.reason}") from exc
        except (OSError, ValueError) as exc:  # connection reset mid-body, http.client.IncompleteRead, bad URL
            self._record(t0)
            raise SourceHTTPError(f"connection failed for {shown}: {exc}") from exc
        latency = self._record(t0)
        if len(body) > MAX_BODY:
            raise SourcePayloadError(f"response from {shown} exceeds {MAX_BODY} bytes")
        return Response(status, body, latency, hdrs)

    def _record(self, t0: float) -> float:
        latency = (time.perf_counter() - t0) * 1000.0
        self.last_latency_ms = latency
        self.poll_latency_ms += latency
        return latency

    def start_poll(self) -> None:
        """Reset the per-poll latency total (a poll may need several requests)."""
        self.poll_latency_ms = 0.0

    def get_json(self, path: str, params: Mapping[str, Any] | None = None, *,
                 headers: Mapping[str, str] | None = None, parse: Callable[[str], Any] | None = None) -> Any:
        """GET and decode JSON (or use a tolerant `parse` for providers with known quirks)."""
        resp = self.get(path, params, headers={"Accept": "application/json", **(headers or {})})
        try:
            text = resp.body.decode("utf-8-sig")
            return parse(text) if parse else json.loads(text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise SourcePayloadError(f"malformed JSON from {urllib.parse.urlsplit(self.url(path)).path}: "
                                     f"{exc}") from exc

    def get_xml(self, path: str, params: Mapping[str, Any] | None = None, *,
                headers: Mapping[str, str] | None = None) -> ET.Element:
        """GET and parse XML (no DTDs or entities: ElementTree does not fetch external ones)."""
        resp = self.get(path, params, headers={"Accept": "application/xml, text/xml", **(headers or {})})
        if b"<!DOCTYPE" in resp.body[:1024] or b"<!ENTITY" in resp.body[:4096]:
            raise SourcePayloadError("XML with a DOCTYPE/ENTITY declaration refused")
        try:
            return ET.fromstring(resp.body)
        except ET.ParseError as exc:
            raise SourcePayloadError(f"malformed XML from {urllib.parse.urlsplit(self.url(path)).path}: "
                                     f"{exc}") from exc


def require(cond: bool, message: str) -> None:
    """Raise SourcePayloadError unless cond: payload shape checks read as one line each."""
    if not cond:
        raise SourcePayloadError(message)
