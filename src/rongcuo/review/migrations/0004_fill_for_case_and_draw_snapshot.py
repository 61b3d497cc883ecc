"""Fill the columns 0003 added for panels and decisions drawn and taken before it.

Panels drawn before this migration did not keep what the draw saw of each candidate; the best record left is the
expert rows as they are now, so `drawn_from` is filled from them (and says so: `"as_of": "migration"`)."""

from django.db import migrations


def fill(apps, schema_editor):
    Decision = apps.get_model("review", "Decision")
    Panel = apps.get_model("review", "Panel")
    Expert = apps.get_model("review", "Expert")
    for d in Decision.objects.filter(for_case__isnull=True).exclude(case__isnull=True):
        d.for_case_id = d.case_id
        d.save(update_fields=["for_case"])
    for p in Panel.objects.all():
        p.for_case_id = p.for_case_id or p.case_id
        if not p.drawn_from:
            experts = {e.pk: e for e in Expert.objects.filter(pk__in=p.candidates)}
            p.drawn_from = [{"id": eid, "name": experts[eid].name, "expertise": experts[eid].expertise,
                             "unit": experts[eid].unit_id, "as_of": "migration"}
                            for eid in p.candidates if eid in experts]
        if p.override_reason and not p.override_breaches:
            p.override_breaches = list(p.rule_breaches)
        p.save(update_fields=["for_case", "drawn_from", "override_breaches"])


class Migration(migrations.Migration):

    dependencies = [
        ('review', '0003_supersede_and_draw_snapshot'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
