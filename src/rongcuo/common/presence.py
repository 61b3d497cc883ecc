"""Which of a row's related records exist, read as columns of the query that loads the row.

A page that shows a case with its letters, obligations, decisions … asks one query per kind of record, and most
cases have none of most kinds. Each such query costs about 0.6 ms of CPU in Django's ORM (building the SQL) and
a round trip, for an empty list. `exists_columns` adds one `EXISTS (…)` column per kind to the row's own query
instead, written from the models' metadata as plain SQL (so no subquery is compiled per request); the page then
asks only for the kinds that exist.

    case = Case.objects.annotate(**exists_columns(Case, letters=(Letter, "case", "id"))).get(pk=pk)
    if may_have(case, "letters"): ...

`may_have` is True for a row loaded without the column: a caller that did not ask reads as before.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import BooleanField, Model
from django.db.models.expressions import RawSQL

PREFIX = "exists_"


def column(model: type[Model], field: str) -> str:
    """`"table"."column"` of a model's field, quoted for the database, for SQL written from the models' metadata."""
    q = connection.ops.quote_name
    return f"{q(model._meta.db_table)}.{q(model._meta.get_field(field).column)}"


def exists_columns(model: type[Model], **relations: tuple[type[Model], str, str] | RawSQL) -> dict[str, RawSQL]:
    """For each name, `(related model, its field, the row's field)`: a column `exists_<name>` that is true when a
    row of the related model has `its field` equal to the row's `the row's field` (e.g. `(Letter, "case", "id")`:
    a letter of this case; `(CorrectionCase, "project", "project_id")`: a correction of the case's project). A
    condition that is more than one equality comes as its own boolean RawSQL, written beside the query it stands
    for (e.g. `review.services.integrity_exists_column`)."""
    columns = {}
    for name, relation in relations.items():
        if isinstance(relation, RawSQL):
            columns[PREFIX + name] = relation
            continue
        related, field, own = relation
        table = connection.ops.quote_name(related._meta.db_table)
        sql = f"EXISTS (SELECT 1 FROM {table} WHERE {column(related, field)} = {column(model, own)})"
        columns[PREFIX + name] = RawSQL(sql, (), output_field=BooleanField())
    return columns


def may_have(row: Any, name: str) -> bool:
    """False only when the row was loaded with `exists_<name>` and no such record existed then."""
    return bool(getattr(row, PREFIX + name, True))
