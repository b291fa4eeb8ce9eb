"""Prepared statements for the hot paths: a Core statement compiled once per dialect and run on the
DBAPI cursor of the session's connection.

`session.execute(statement)` does per call what never changes for a fixed statement: it looks up
the compiled form, builds the parameters through the execution context and result metadata. On
SQLite that is 50-80 us a statement against 6 us for the driver itself (bench/transitions.py runs
about ten a transition). A `Prepared` statement does that work once: its SQL string, the order of
its parameters with their type processors (UTCDateTime, JSON) and its result columns with theirs.

On an async engine's connection (`run_sync`) it runs as `session.execute` would. Otherwise it
runs inside the session's transaction (the connection the session began, BEGIN IMMEDIATE on
SQLite included), and driver errors become SQLAlchemy's (IntegrityError, OperationalError), as
with `session.execute`. Unlike `session.execute` it does not flush the session's pending ORM
objects first: flush before a prepared statement that must see them (record_transition does
after creating a case's row). Statements with expanding parameters (`in_()` of a list of plain
values, or of an expanding bindparam) cannot be prepared: they are refused when first run, and stay
with `session.execute`. An IN over a fixed list of `literal()` values binds each one and can.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.expression import Executable

_REQUIRED = object()


class Prepared:
    """One Core statement, compiled on first use per dialect and driver."""

    def __init__(self, statement: Executable):
        self.statement = statement
        self._forms: dict[tuple[str, str], _Form] = {}

    def _form(self, dialect: Dialect) -> _Form:
        key = (dialect.name, dialect.driver)
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = _Form(self.statement, dialect)
        return form

    def execute(self, session: Session | Connection, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> Rows:
        """Run with one set of parameters, or with a list of them (executemany, no rows back; a list
        of one runs as one execute)."""
        connection = session.connection() if isinstance(session, Session) else session
        if connection.dialect.is_async:  # an async session's run_sync: its driver is reached through a greenlet
            result = connection.execute(self.statement, params)
            return Rows(list(result) if result.returns_rows else [], result.rowcount)
        form = self._form(connection.dialect)
        many = not isinstance(params, Mapping)
        if many and len(params) == 1:  # psycopg's executemany enters and leaves pipeline mode: dearer for one row
            params, many = params[0], False
        args = [form.arguments(p) for p in params] if many else form.arguments(params)
        cursor = connection.connection.cursor()
        try:
            if many:
                cursor.executemany(form.sql, args)
            else:
                cursor.execute(form.sql, args)
            rows = form.rows(cursor.fetchall()) if form.columns and not many else []
            return Rows(rows, cursor.rowcount)
        except connection.dialect.loaded_dbapi.Error as error:
            raise _wrapped(connection, cursor, form.sql, args, error) from error
        finally:
            cursor.close()

    def first(self, session: Session | Connection, params: Mapping[str, Any]) -> Any:
        """The first row (attributes by column name), or None."""
        return self.execute(session, params).first()

    def all(self, session: Session | Connection, params: Mapping[str, Any]) -> list[Any]:
        return self.execute(session, params).rows


class Rows:
    """The rows a prepared statement returned (named tuples) and the driver's row count."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[Any], rowcount: int):
        self.rows, self.rowcount = rows, rowcount

    def first(self) -> Any:
        return self.rows[0] if self.rows else None

    def scalars(self) -> list[Any]:
        return [row[0] for row in self.rows]


class _Form:
    """A statement as one dialect runs it: SQL, parameters in order with their processors, result columns."""

    def __init__(self, statement: Executable, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError(f"expanding parameters cannot be prepared: {compiled.string}")
        self.sql = compiled.string
        self.positional = compiled.positional
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        names = list(compiled.positiontup) if compiled.positional else list(by_name)
        escaped = compiled.escaped_bind_names or {}
        # Columns the statement does not name but whose Python-side default (or onupdate) the
        # execution would fill in: only constants, given here once.
        prefetched = compiled.insert_prefetch + compiled.update_prefetch
        filled = {column.key: _column_default(column, compiled.isupdate) for column in prefetched}
        self.params: list[tuple[str, str, str, Any, Callable | None]] = [
            (
                escaped.get(name, name),
                by_name[name].key,
                name,
                filled[name] if name in filled else _default(by_name[name]),
                _bind_processor(by_name[name], dialect),
            )
            for name in names
        ]
        returned = list(statement.exported_columns)  # a select's columns, an update's RETURNING, or none
        self.columns = [column.key for column in returned]
        self.processors = [column.type.dialect_impl(dialect).result_processor(dialect, None) for column in returned]
        self.row = namedtuple("Row", self.columns) if self.columns else None

    def arguments(self, params: Mapping[str, Any]) -> list[Any] | dict[str, Any]:
        values = []
        for _, key, name, default, process in self.params:
            if key in params:
                value = params[key]
            elif name in params:
                value = params[name]
            elif default is _REQUIRED:
                raise KeyError(f"parameter {key!r} missing for: {self.sql}")
            else:
                value = default() if callable(default) else default
            values.append(process(value) if process is not None else value)
        if self.positional:
            return values
        return {escaped: value for (escaped, *_), value in zip(self.params, values, strict=True)}

    def rows(self, fetched: list[tuple]) -> list[Any]:
        make, processors = self.row, self.processors
        if not any(processors):
            return [make._make(row) for row in fetched]
        return [
            make._make([p(v) if p is not None else v for p, v in zip(processors, row, strict=True)]) for row in fetched
        ]


def _wrapped(connection: Connection, cursor: Any, sql: str, args: Any, error: Exception) -> DBAPIError:
    """The driver's error as SQLAlchemy raises it; a lost connection (PostgreSQL restarted) is
    invalidated as SQLAlchemy would, so the pool does not hand it out again."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(error)
    base = dialect.loaded_dbapi.Error
    return DBAPIError.instance(sql, args, error, base, connection_invalidated=lost, dialect=dialect)


def _default(bind: BindParameter) -> Any:
    """A bound value given with the statement (e.g. `.values(status="erledigt")`), or _REQUIRED."""
    if bind.callable is not None:
        return bind.callable
    if bind.required:
        return _REQUIRED
    return bind.value


def _column_default(column: Any, update: bool) -> Any:
    default = column.onupdate if update else column.default
    if default is None or not default.is_scalar:
        raise ValueError(f"column {column.key}: only a constant default can be prepared, give the value")
    return default.arg


def _bind_processor(bind: BindParameter, dialect: Dialect) -> Callable | None:
    return bind.type.dialect_impl(dialect).bind_processor(dialect)
