"""Fill `document_kind` (0002) for obligations made before it: an open obligation whose clause, in the pack version
its case is pinned to, asks for a document (e.g. the failure-analysis report) gets that document's kind, so it is
fulfilled by uploading the document, as one made today is. Fulfilled obligations keep what they were fulfilled
with; an obligation whose pack version or clause is no longer loaded is left as it is, and so is every obligation
when the packs cannot be loaded where the migration runs (it says so)."""

from django.db import migrations


def fill(apps, schema_editor):
    Obligation = apps.get_model("review", "Obligation")
    open_without = Obligation.objects.filter(status="open", document_kind="").select_related("case")
    if not open_without.exists():
        return  # (a new database: the packs are not even loaded)
    from rongcuo.common.packs import registry
    from rongcuo.engine.pack import PackErrors, UnknownPack

    try:
        registry()
    except PackErrors as exc:
        print(f"\n  review.0006: the policy packs did not load ({exc}); open obligations keep an empty document_kind"
              " / 政策包未能载入，未补填义务的文件类型")
        return
    packs = {}
    for ob in open_without:
        ref = f"{ob.case.pack_id}@{ob.case.pack_version}"
        if ref not in packs:
            try:
                packs[ref] = registry().get(ref)
            except UnknownPack:
                packs[ref] = None
        pack = packs[ref]
        clause = pack.clauses.get(ob.clause) if pack is not None else None
        spec = next((o for o in clause.clause.obligations if o.id == ob.key), None) if clause is not None else None
        if spec is not None and spec.document:
            ob.document_kind = spec.document
            ob.save(update_fields=["document_kind"])


class Migration(migrations.Migration):

    dependencies = [
        ("review", "0005_for_case_required"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
