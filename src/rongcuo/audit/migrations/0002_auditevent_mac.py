"""Each audit event carries a MAC of its hash under the audit key (rongcuo.audit.anchor). The events recorded before
this migration are sealed with it here: from now on an event without a valid MAC was not written by the platform."""

from django.db import migrations, models


def seal(apps, schema_editor):  # type: ignore[no-untyped-def]
    from rongcuo.audit.anchor import event_mac

    AuditEvent = apps.get_model("audit", "AuditEvent")
    for event in AuditEvent.objects.filter(mac="").only("pk", "hash").iterator(chunk_size=2000):
        AuditEvent.objects.filter(pk=event.pk).update(mac=event_mac(event.hash))


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.AddField(model_name="auditevent", name="mac",
                            field=models.CharField(blank=True, default="", max_length=64)),
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]
