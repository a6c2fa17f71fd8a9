# A dispatch points at the record it is about generically (the owning app's model label and the record's id)
# instead of through a foreign key to mandates: messaging no longer depends on the apps above it.

from django.db import migrations, models
from django.db.models import F

MANDATE = "mandates.mandate"


def mandate_to_subject(apps, schema_editor):
    Dispatch = apps.get_model("messaging", "Dispatch")
    Dispatch.objects.filter(mandate__isnull=False).update(subject_type=MANDATE, subject_id=F("mandate_id"))


def subject_to_mandate(apps, schema_editor):
    Dispatch = apps.get_model("messaging", "Dispatch")
    Dispatch.objects.filter(subject_type=MANDATE).update(mandate_id=F("subject_id"))


class Migration(migrations.Migration):

    dependencies = [
        ('messaging', '0003_kinds_registered_by_their_apps'),
    ]

    operations = [
        migrations.AddField(
            model_name='dispatch',
            name='subject_id',
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='dispatch',
            name='subject_type',
            field=models.CharField(blank=True, default='', max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(mandate_to_subject, subject_to_mandate),
        migrations.RemoveField(
            model_name='dispatch',
            name='mandate',
        ),
        migrations.AddIndex(
            model_name='dispatch',
            index=models.Index(fields=['subject_type', 'subject_id'], name='dispatch_by_subject'),
        ),
    ]
