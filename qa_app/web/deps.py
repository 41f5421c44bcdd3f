"""Dependencies shared by the controllers."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from qa_app.models import User
from qa_app.runtime import Runtime
from qa_app.web.auth import runtime_of


async def provide_db(request: Request[Any, Any, Any]) -> AsyncGenerator[AsyncSession, None]:
    """One database session per request, closed (and rolled back if uncommitted) afterwards."""
    async with runtime_of(request).sessionmaker() as db:
        yield db


def provide_runtime(request: Request[Any, Any, Any]) -> Runtime:
    return runtime_of(request)


def provide_actor(request: Request[Any, Any, Any]) -> User | None:
    return request.scope.get("user")


# Handler parameter types: injected by name (Litestar 2.23+ wants this explicit).
Db = NamedDependency[AsyncSession]
Actor = NamedDependency[User]
OptionalActor = NamedDependency[User | None]
RuntimeDep = NamedDependency[Runtime]
