import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0003_applicationdraft'),
        ('review', '0004_fill_for_case_and_draw_snapshot'),
    ]

    operations = [
        migrations.AlterField(
            model_name='decision',
            name='for_case',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='decisions', to='cases.case'),
        ),
        migrations.AlterField(
            model_name='panel',
            name='for_case',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='panels', to='cases.case'),
        ),
    ]
