"""A request whose database connection went stale is run once more, on a fresh connection.

The pool does not ping a connection before lending it out (a round trip on every request, paid
for nothing almost always). `pool_recycle` retires connections before a server or a firewall
drops them for idling; one broken anyway (the database restarted) fails on its first use, and
SQLAlchemy then invalidates it and every connection of its generation, so the pool reconnects.

The request that met it is run again from its start, before-request hooks included — but only
when it has not tried to commit: a COMMIT cut off midway may have happened, and doing the work
twice is worse than failing. Otherwise, or when the second run fails as well, or the database
cannot be reached at all, the answer is a clean 503 and the session is rolled back, so the next
request starts afresh.
"""

from __future__ import annotations

import logging

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import ServiceUnavailable

from outreach.extensions import db

log = logging.getLogger(__name__)

COMMIT_TRIED = "outreach.commit_tried"  # in the WSGI environ: this request asked for a COMMIT


class RetryingFlask(Flask):
    """Flask, running a request again when its database connection was found broken."""

    def full_dispatch_request(self):
        try:
            return super().full_dispatch_request()
        except DBAPIError as exc:
            _discard_transaction()
            if not (exc.connection_invalidated and not request.environ.get(COMMIT_TRIED)):
                return self._unavailable(exc)
            log.warning("database connection found broken; running %s again", request.path)
        try:
            return super().full_dispatch_request()
        except DBAPIError as exc:
            _discard_transaction()
            return self._unavailable(exc)

    def _unavailable(self, exc: DBAPIError):
        """A lost or unreachable database is a 503 (try again); any other error stays itself."""
        if not (exc.connection_invalidated or isinstance(exc, OperationalError)):
            raise exc
        log.warning("database unavailable for %s: %s", request.path, exc.orig)
        answer = self.handle_user_exception(
            ServiceUnavailable("the database is not available just now; try again")
        )
        return self.finalize_request(answer)


def _discard_transaction() -> None:
    db.session.rollback()


@event.listens_for(db.session, "before_commit")
def _note_commit(session) -> None:
    """Mark the request (if any) as having asked for a COMMIT: it is not run again after this."""
    if has_request_context():
        request.environ[COMMIT_TRIED] = True
