"""PostgreSQL's pooled connections checked before use without a round trip where they can be.

`pool_pre_ping` sends an empty statement on every checkout: a round trip, about 50 us of the
process's CPU (psycopg alone, in a tight loop) and some of the server's, for every transaction (a
transition made three). The check of the socket costs about 1 us. An idle
connection whose server went away (restarted, the backend terminated) has something to read: the
server's last message or the end of the stream. A connection with nothing to read and no
transaction open is taken as it is; only one with something waiting gets the real ping, which
fails for a dead one and lets the pool replace it (and every connection older than it).

What this cannot see is a server that vanished without closing the socket (a network cut): the
first statement fails then, the connection is invalidated, and the next attempt connects anew;
a real ping would have waited for the network's timeout there too.
"""

from __future__ import annotations

import select
from typing import Any

from psycopg import pq
from sqlalchemy.engine import Engine

_ANSWERED = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


def install(engine: Engine) -> None:
    """The engine's pre-ping asks the socket first (the engine is made with `pool_pre_ping=True`)."""
    dialect = engine.dialect
    ping = dialect.do_ping

    def do_ping(dbapi_connection: Any) -> bool:
        return quiet(dbapi_connection) or ping(dbapi_connection)

    dialect.do_ping = do_ping


def quiet(dbapi_connection: Any) -> bool:
    """True when the connection is open, outside a transaction and has nothing to read."""
    connection = getattr(dbapi_connection, "driver_connection", dbapi_connection)  # the async adapter's psycopg
    pgconn = connection.pgconn
    if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return False
    poller = select.poll()
    poller.register(pgconn.socket, _ANSWERED)
    return not poller.poll(0)
