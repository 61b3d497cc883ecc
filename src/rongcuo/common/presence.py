"""Which of a row's related records exist, read as columns of the query that loads the row.

A page that shows a case with its letters, obligations, decisions … would ask one query per kind of record, and
most cases have none of most kinds. `exists_columns` adds one `EXISTS (…)` column per kind to the row's own query
instead (the ORM's `Exists(OuterRef(…))` annotations); the page then asks only for the kinds that exist.

    case = Case.objects.annotate(**exists_columns(letters=(Letter, "case", "id"))).get(pk=pk)
    if may_have(case, "letters"): ...

`may_have` is True for a row loaded without the column: a caller that did not ask reads as before.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, Model, OuterRef

PREFIX = "exists_"


def exists_columns(**relations: tuple[type[Model], str, str] | Exists) -> dict[str, Exists]:
    """For each name, `(related model, its field, the row's field)`: a column `exists_<name>` that is true when a
    row of the related model has `its field` equal to the row's `the row's field` (e.g. `(Letter, "case", "id")`:
    a letter of this case; `(CorrectionCase, "project", "project_id")`: a correction of the case's project). A
    condition that is more than one equality comes as its own `Exists`, written beside the query it stands for
    (e.g. `review.services.integrity_exists_column`)."""
    columns = {}
    for name, relation in relations.items():
        if isinstance(relation, Exists):
            columns[PREFIX + name] = relation
            continue
        related, field, own = relation
        columns[PREFIX + name] = Exists(related._default_manager.filter(**{field: OuterRef(own)}))
    return columns


def may_have(row: Any, name: str) -> bool:
    """False only when the row was loaded with `exists_<name>` and no such record existed then."""
    return bool(getattr(row, PREFIX + name, True))
