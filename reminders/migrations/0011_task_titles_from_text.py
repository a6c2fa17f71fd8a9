"""Tasks opened before titles had codes: recognize the sentence (in any interface language) and keep its code and
parameters, so they too show in each reader's language. Titles that match no sentence keep their text."""

from django.db import migrations

# The sentences as they were when this migration was written (reminders/task_titles.py may change later).
TEMPLATES = {
    "find_valid_email": "Find a valid e-mail address for %(customer)s",
    "email_refused": "E-mail to %(customer)s was refused; check the address",
    "send_failed": "Reminder to %(customer)s could not be sent",
    "check_arrival": "Check whether the reminder to %(customer)s arrived",
    "email_bounced": "E-mail to %(email)s (%(customer)s) bounced; find a valid address",
    "post_letter_instead": "Send a letter by post to %(customer)s (the e-mail was refused; postal sending is not "
    "connected yet, so post it yourself)",
    "step_task": "%(step)s: %(customer)s",
    "decide_next_step": "Decide the next step for %(customer)s",
    "send_letter": "Send a letter by post to %(customer)s",
}


def recognize(apps, schema_editor):
    from django.utils.translation import gettext_lazy

    from reminders.task_titles import recognize_title

    templates = {code: gettext_lazy(text) for code, text in TEMPLATES.items()}
    Task = apps.get_model("reminders", "Task")
    for task in Task.objects.filter(title_code="").select_related("customer").iterator(chunk_size=500):
        found = recognize_title(task.title, customer_name=task.customer.name, templates=templates)
        if found is not None:
            Task.objects.filter(pk=task.pk).update(title_code=found.code, title_params=found.params)


class Migration(migrations.Migration):
    dependencies = [("reminders", "0010_task_title_code")]

    operations = [migrations.RunPython(recognize, migrations.RunPython.noop)]
