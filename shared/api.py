"""A service's read-only HTTP queries (FastAPI), beside `/health`, `/ready` and `/metrics`.

Every answer is JSON, lists are paginated (`limit`, `offset`), personal data is masked, and nothing is written
over HTTP (CONTRACT.md). A malformed query gets 422 naming each bad parameter in the contract's error shape
(`errors: [{field, message}]`); an unknown id gets 404 saying what was not found. The document is at
`GET /openapi.json`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from shared.validation import field_path

T = TypeVar("T")

MAX_PAGE = 500


class Page(BaseModel):
    """Which slice of a list to answer."""

    limit: int = 50
    offset: int = 0


def page(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="items per page")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")] = 0,
) -> Page:
    """The pagination parameters every list query takes (a FastAPI dependency)."""
    return Page(limit=limit, offset=offset)


class PageOf(BaseModel, Generic[T]):
    """One page of a list, with the list's size."""

    items: list[T]
    total: int
    limit: int
    offset: int


def paginate(items: Sequence[T], at: Page) -> PageOf[T]:
    return PageOf[T](items=list(items[at.offset:at.offset + at.limit]), total=len(items), limit=at.limit,
                     offset=at.offset)


def not_found(what: str) -> HTTPException:
    """404 saying what the query named that does not exist."""
    return HTTPException(status_code=404, detail=what)


async def _field_errors(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": field_path(tuple(e.get("loc", ()))[1:]) or field_path(tuple(e.get("loc", ()))),
               "message": str(e.get("msg", "is not valid")).removeprefix("Value error, ")}
              for e in exc.errors()]
    return JSONResponse({"errors": errors}, status_code=422)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    detail = getattr(exc, "detail", "not found")
    return JSONResponse({"error": detail}, status_code=getattr(exc, "status_code", 404))


def read_api(service: str, description: str) -> FastAPI:
    """An empty read API for `service`; its `api.py` adds the queries."""
    api = FastAPI(title=f"district {service}: read-only queries", version="1.0.0", description=description,
                  docs_url=None, redoc_url=None)
    api.add_exception_handler(RequestValidationError, _field_errors)
    api.add_exception_handler(HTTPException, _not_found)
    return api


class Handled(BaseModel):
    """Which of the events asked about this service has handled (by any of its consumers)."""

    handled: list[str]
    not_yet: list[str]


MAX_HANDLED_QUERY = 200


def add_handled_query(api: FastAPI, lookup: Callable[[list[str]], Awaitable[set[str]]]) -> None:
    """`GET /handled?event_id=...`: lets a caller wait for this service to have consumed what it published (the
    demo, a drill, another system), by the events' ids, whatever the service handled before."""

    @api.get("/handled", response_model=Handled, summary="Which of these events this service has handled")
    async def handled(
        event_id: Annotated[list[uuid.UUID], Query(min_length=1, max_length=MAX_HANDLED_QUERY)],
    ) -> Handled:
        asked = list(dict.fromkeys(str(e) for e in event_id))
        found = await lookup(asked)
        return Handled(handled=[e for e in asked if e in found], not_yet=[e for e in asked if e not in found])


def as_json(value: Any) -> Any:
    """A pydantic model or plain value, ready for a JSON answer."""
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value
