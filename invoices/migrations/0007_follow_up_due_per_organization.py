"""`invoice_follow_up_due` becomes (organization, next_follow_up_at): the tick probes each organization.

On PostgreSQL the new index is built CONCURRENTLY under a temporary name, the old one dropped CONCURRENTLY and
the new one renamed, so invoices stay writable while a large table is indexed; other databases swap it plainly.
"""

from django.db import migrations, models

OLD = models.Index(condition=models.Q(("status", "open")), fields=["next_follow_up_at"], name="invoice_follow_up_due")
NEW = models.Index(
    condition=models.Q(("status", "open")), fields=["organization", "next_follow_up_at"], name="invoice_follow_up_due"
)


def _swap(schema_editor, model, old, new):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.remove_index(model, old)
        schema_editor.add_index(model, new)
        return
    building = models.Index(condition=new.condition, fields=new.fields, name="invoice_follow_up_due_new")
    schema_editor.add_index(model, building, concurrently=True)
    schema_editor.remove_index(model, old, concurrently=True)
    schema_editor.execute("ALTER INDEX invoice_follow_up_due_new RENAME TO invoice_follow_up_due")


def forwards(apps, schema_editor):
    _swap(schema_editor, apps.get_model("invoices", "Invoice"), OLD, NEW)


def backwards(apps, schema_editor):
    _swap(schema_editor, apps.get_model("invoices", "Invoice"), NEW, OLD)


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("customers", "0003_customer_follow_up_paused_reason_and_more"),
        ("invoices", "0006_invoice_collection_requested_at"),
        ("organizations", "0003_followup_sender_email_verified_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="invoice", name="invoice_follow_up_due"),
                migrations.AddIndex(model_name="invoice", index=NEW),
            ],
            database_operations=[migrations.RunPython(forwards, backwards, atomic=False)],
        ),
    ]
