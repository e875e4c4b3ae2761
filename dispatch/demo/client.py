"""A thin typed client of the public Golden Hour API (docs/api.md), as crews and call-takers
would use it.  The simulator deliberately never touches the server's internals.

One ``httpx.AsyncClient`` (one connection pool) is shared; each ``ApiClient`` adds its own
login, so dozens of crews do not open dozens of pools.  Errors become ``ApiError`` carrying the
RFC 9457 ``code``, because the simulator's reactions depend on it (409 means "someone else
acted"), never on message text.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict, cast

import httpx

API_PREFIX = "/api/v1"


class Token(TypedDict):
    access_token: str
    token_type: str
    username: str
    role: str
    unit_id: int | None


class Unit(TypedDict):
    id: int
    call_sign: str
    capability: str
    status: str
    status_at: str | None
    position: list[float] | None
    position_at: str | None
    station_id: int | None
    incident_id: int | None


class Incident(TypedDict):
    id: int
    number: str
    location: list[float] | None
    address: NotRequired[str | None]
    complaint: str | None
    priority: int
    status: str
    unit_ids: list[int]
    received_at: str


class LineString(TypedDict):
    type: str
    coordinates: list[list[float]]


class Recommendation(TypedDict):
    rank: int
    unit: Unit
    eta_s: float
    distance_m: float
    route: LineString | None


class Assignment(TypedDict):
    incident: Incident
    unit: Unit
    eta_s: float | None
    route: LineString | None


class Place(TypedDict):
    id: int
    name: str
    location: list[float]


class RouteAnswer(TypedDict):
    route: LineString
    eta_s: float
    distance_m: float


class ApiError(Exception):
    """A non-2xx answer; ``code`` is the problem's machine key (or ``http-<status>``)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        code, detail = f"http-{response.status_code}", response.reason_phrase
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            code = str(body.get("code") or code)
            detail = str(body.get("detail") or body.get("title") or detail)
        return cls(response.status_code, code, detail)


def _lonlat(point: tuple[float, float] | list[float]) -> str:
    return f"{point[0]:.7f},{point[1]:.7f}"


class ApiClient:
    """Calls of one user.  Logs in lazily and once more when a token expires (401)."""

    def __init__(
        self, http: httpx.AsyncClient, username: str | None = None, password: str | None = None
    ) -> None:
        self.http = http
        self.username = username
        self._password = password
        self._token: str | None = None

    @classmethod
    def connect(cls, base_url: str, *, timeout_s: float = 10.0) -> httpx.AsyncClient:
        """The shared pool all ``ApiClient``s of a run use; close it when done."""
        return httpx.AsyncClient(
            base_url=base_url.rstrip("/") + API_PREFIX,
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=50),
        )

    def as_user(self, username: str, password: str) -> ApiClient:
        """Another user on the same connection pool."""
        return ApiClient(self.http, username, password)

    @property
    def token(self) -> str | None:
        return self._token

    async def login(self) -> Token:
        if self.username is None or self._password is None:
            raise ValueError("this client has no credentials")
        response = await self.http.post(
            "/auth/token", data={"username": self.username, "password": self._password}
        )
        if response.is_error:
            raise ApiError.from_response(response)
        token = cast(Token, response.json())
        self._token = token["access_token"]
        return token

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        authed = self.username is not None
        if authed and self._token is None:
            await self.login()
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._token}"} if authed else {}
            response = await self.http.request(method, path, headers=headers, **kwargs)
            if response.status_code == 401 and authed and attempt == 1:
                await self.login()
                continue
            if response.is_error:
                raise ApiError.from_response(response)
            return response.json() if response.content else None
        raise AssertionError("unreachable")

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Any call of the API as this user (JSON answer, or None when empty)."""
        return await self._request(method, path, **kwargs)

    # ----- map and places -----------------------------------------------------------------

    async def map_info(self) -> dict[str, Any]:
        return cast(dict[str, Any], await self._request("GET", "/map"))

    async def roads(self) -> dict[str, Any]:
        return cast(dict[str, Any], await self._request("GET", "/map/roads"))

    async def stations(self) -> list[Place]:
        return cast(list[Place], await self._request("GET", "/stations"))

    async def hospitals(self) -> list[Place]:
        return cast(list[Place], await self._request("GET", "/hospitals"))

    async def reverse(self, point: tuple[float, float]) -> dict[str, Any] | None:
        """The nearest address or street of ``point`` (``GET /reverse``); None when none."""
        try:
            return cast(
                dict[str, Any],
                await self._request("GET", "/reverse", params={"lon": point[0], "lat": point[1]}),
            )
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    async def route(
        self, origin: tuple[float, float] | list[float], target: tuple[float, float] | list[float]
    ) -> RouteAnswer:
        params = {"from": _lonlat(origin), "to": _lonlat(target)}
        return cast(RouteAnswer, await self._request("GET", "/route", params=params))

    # ----- incidents ----------------------------------------------------------------------

    async def create_incident(
        self,
        location: tuple[float, float],
        complaint: str,
        priority: int,
        caller: dict[str, Any] | None = None,
        address: str | None = None,
    ) -> Incident:
        body: dict[str, Any] = {
            "location": [location[0], location[1]],
            "complaint": complaint,
            "priority": priority,
        }
        if caller is not None:
            body["caller"] = caller
        if address is not None:
            body["address"] = address
        return cast(Incident, await self._request("POST", "/incidents", json=body))

    async def incidents(self, *, status: str = "open") -> list[Incident]:
        return cast(
            list[Incident], await self._request("GET", "/incidents", params={"status": status})
        )

    async def incident(self, incident_id: int) -> Incident:
        return cast(Incident, await self._request("GET", f"/incidents/{incident_id}"))

    async def recommendations(self, incident_id: int, *, limit: int = 5) -> list[Recommendation]:
        return cast(
            list[Recommendation],
            await self._request(
                "GET", f"/incidents/{incident_id}/recommendations", params={"limit": limit}
            ),
        )

    async def assign(self, incident_id: int, unit_id: int) -> Assignment:
        return cast(
            Assignment,
            await self._request(
                "POST", f"/incidents/{incident_id}/assignments", json={"unit_id": unit_id}
            ),
        )

    # ----- units --------------------------------------------------------------------------

    async def units(self) -> list[Unit]:
        return cast(list[Unit], await self._request("GET", "/units"))

    async def unit(self, unit_id: int) -> Unit | None:
        """One unit, read from the list (the API has no single-unit GET)."""
        return next((u for u in await self.units() if u["id"] == unit_id), None)

    async def assignment(self, unit_id: int) -> Assignment | None:
        """The unit's current assignment, or None when it has none (404)."""
        try:
            return cast(Assignment, await self._request("GET", f"/units/{unit_id}/assignment"))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    async def set_status(self, unit_id: int, status: str) -> Unit:
        return cast(
            Unit, await self._request("POST", f"/units/{unit_id}/status", json={"status": status})
        )

    async def report_position(
        self, unit_id: int, position: tuple[float, float], reported_at: str | None = None
    ) -> Unit:
        body: dict[str, Any] = {"position": [position[0], position[1]]}
        if reported_at is not None:
            body["reported_at"] = reported_at
        return cast(Unit, await self._request("POST", f"/units/{unit_id}/position", json=body))
