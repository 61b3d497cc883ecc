"""A decision and a panel can be superseded (a second round after the case is investigated again): `case` becomes
"the case's current one" (nullable), `for_case` names the case always. The panel keeps what the draw saw of each
candidate (`drawn_from`) and which breaches its override reason covers (`override_breaches`).

Three steps in three migrations, so that PostgreSQL never alters a table with pending deferred-constraint checks:
this one adds the columns (nullable), 0004 fills them, 0005 makes `for_case` required."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0003_applicationdraft'),
        ('review', '0002_obligation_document'),
    ]

    operations = [
        migrations.AddField(
            model_name='decision',
            name='for_case',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='decisions', to='cases.case'),
        ),
        migrations.AddField(
            model_name='decision',
            name='superseded_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='decision',
            name='superseded_reason',
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name='panel',
            name='drawn_from',
            field=models.JSONField(default=list, help_text="each candidate as the draw saw it: id, name, expertise, unit (the replay reads these, not today's records)"),
        ),
        migrations.AddField(
            model_name='panel',
            name='for_case',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='panels', to='cases.case'),
        ),
        migrations.AddField(
            model_name='panel',
            name='override_breaches',
            field=models.JSONField(default=list, help_text='the breaches the override reason was given for'),
        ),
        migrations.AddField(
            model_name='panel',
            name='superseded_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='decision',
            name='case',
            field=models.OneToOneField(blank=True, help_text="set while this is the case's current decision", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='decision', to='cases.case'),
        ),
        migrations.AlterField(
            model_name='panel',
            name='case',
            field=models.OneToOneField(blank=True, help_text="set while this is the case's current panel", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='panel', to='cases.case'),
        ),
    ]
