"""What the routes of `qa serve` share, kept on ``app.state.service``: the registry of per-collection Assistants
and the two admission queues. A route takes it as a dependency (``service: ServiceDep``), never from a closure,
so each router can be mounted alone on a FastAPI app that holds a Service (`Service.attach`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, FastAPI, Request
from starlette.exceptions import HTTPException

from assistant.app.http.admission import AnswerQueue, WriterQueue
from assistant.app.registry import Registry
from assistant.app.service import Assistant
from assistant.settings import Settings

logger = logging.getLogger(__name__)
T = TypeVar("T")


class Service:
    """The registry the routes take their Assistants from, the answer queue that admits chat requests and the
    writer queue that runs uploads and removals one at a time."""

    def __init__(self, registry: Registry) -> None:
        settings = registry.settings
        self.registry = registry
        self.answers = AnswerQueue(settings.server.answer_queue, one_at_a_time=settings.llm.answerer == "local")
        self.writers = WriterQueue(settings.server.upload_queue)

    @property
    def settings(self) -> Settings:
        """The service's settings (its default collection's)."""
        return self.registry.settings

    @property
    def default(self) -> Assistant:
        """The Assistant of the default collection (always built)."""
        return self.registry.assistant()

    def attach(self, app: FastAPI) -> None:
        """Serve ``app``'s routes from this Service."""
        app.state.service = self

    def collections(self) -> list[str]:
        """The collections that hold documents, and the default one."""
        return self.registry.collections()

    def assistant(self, collection: str | None, *, create: bool = False) -> Assistant:
        """The Assistant of a collection (None: the default one). Only a write (``create``) may name a collection
        that does not exist yet: a read of an unknown one is a 404, and builds nothing."""
        name = collection or self.settings.storage.collection
        chosen = self.registry.settings_for(name)  # InputError for a name that cannot be a collection
        if not create and not self.registry.holds(chosen) and name not in self.collections():
            raise HTTPException(
                404,
                f"no collection {name!r}: upload a document to it with POST /v1/documents?collection={name} to "
                "create it; GET /v1/models lists the collections",
            )
        return self.registry.assistant_for(chosen)

    def recover(self) -> None:
        """Finish what uploads killed mid-request left in the data folder (logged)."""
        for line in self.default.unfinished_uploads(repair=True):
            logger.warning(line)

    async def on_writer(self, job: Callable[[], T]) -> T:
        """Run ``job`` on the writer queue's thread (503 when the queue is full) and wait for it without holding
        a thread. Shielded: a request given up on still finishes its job, and its place is freed."""
        place = self.writers.reserve()
        return await asyncio.shield(asyncio.wrap_future(place.run(job)))


def get_service(request: Request) -> Service:
    """The Service of the application serving ``request``."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]
