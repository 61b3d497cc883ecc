"""Each committee member's own vote (CommitteeVote) in place of the votes a committee account recorded for all
(Decision.members_present / votes, usernames). A decision taken before keeps every vote it had: one row per
username that still has an account, named by its registry person (else its full name, else its username), with
the reasons the decision gave (the members gave none of their own then) and the decision's date; the members are
those recorded present; `rule` says the decision was recorded before quorum and majority were checked."""

import datetime as dt

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def carry_votes(apps, schema_editor):
    Decision = apps.get_model("review", "Decision")
    CommitteeVote = apps.get_model("review", "CommitteeVote")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Person = apps.get_model("registry", "Person")

    def name_of(user):
        person = Person.objects.filter(user=user).first()
        full = f"{user.first_name} {user.last_name}".strip()
        return person.name if person else (full or user.username)

    for d in Decision.objects.all():
        users = {u.username: u for u in User.objects.filter(username__in=list(d.members_present) + list(d.votes))}
        d.members = [{"user": users[n].pk, "name": name_of(users[n])} for n in d.members_present if n in users]
        d.rule = {"source": "recorded_before_member_votes"}
        d.save(update_fields=["members", "rule"])
        at = dt.datetime.combine(d.decided_on, dt.time(12), tzinfo=dt.UTC)
        for username, vote in d.votes.items():
            if username in users:
                CommitteeVote.objects.create(for_case_id=d.for_case_id, member=users[username],
                                             member_name=name_of(users[username]), vote=vote, reasons=d.reasons,
                                             cast_at=at, decision=d)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0005_deadline_running_index'),
        ('registry', '0001_initial'),
        ('review', '0006_fill_obligation_document_kind'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='decision',
            name='members',
            field=models.JSONField(default=list, help_text='the committee when it decided: [{user, name}]'),
        ),
        migrations.AddField(
            model_name='decision',
            name='rule',
            field=models.JSONField(default=dict, help_text='the quorum and majority applied, where they come from, and the tally'),
        ),
        migrations.CreateModel(
            name='CommitteeVote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('member_name', models.CharField(help_text="the member's name when voting", max_length=100)),
                ('vote', models.CharField(choices=[('exempt', '同意免责 Agree: exempt'), ('not_exempt', '不同意免责 Disagree: not exempt'), ('abstain', '弃权 Abstain')], max_length=12)),
                ('reasons', models.TextField()),
                ('cast_at', models.DateTimeField()),
                ('replaced_at', models.DateTimeField(blank=True, null=True)),
                ('decision', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='vote_records', to='review.decision')),
                ('for_case', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='committee_votes', to='cases.case')),
                ('member', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['cast_at', 'id'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('decision__isnull', True), ('replaced_at__isnull', True)), fields=('for_case', 'member'), name='one_open_vote_per_member')],
            },
        ),
        migrations.RunPython(carry_votes, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='decision',
            name='members_present',
        ),
        migrations.RemoveField(
            model_name='decision',
            name='votes',
        ),
    ]
