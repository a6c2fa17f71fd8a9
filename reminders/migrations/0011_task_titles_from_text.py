"""Tasks opened before titles had codes: recognize the sentence (in any interface language) and keep its code and
parameters, so they too show in each reader's language. Titles that match no sentence keep their text."""

import re

from django.conf import settings
from django.db import migrations
from django.utils.translation import gettext_lazy, override

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


def recognize_title(title: str, *, customer_name: str) -> tuple[str, dict] | None:
    """The code and parameters of a title, if it is one of the sentences in one of the interface languages and
    names the task's own customer; None when unsure (the text then stays as it is)."""
    # The catch-all "<step>: <customer>" last, so a more specific sentence wins.
    ordered = sorted(TEMPLATES.items(), key=lambda item: item[0] == "step_task")
    for code, template in ordered:
        for language, _name in settings.LANGUAGES:
            with override(language):
                pattern = _as_pattern(str(gettext_lazy(template)))
            if (match := pattern.fullmatch(title)) and match.groupdict().get("customer") == customer_name:
                return code, dict(match.groupdict())
    return None


def _as_pattern(template: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", template)
    regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts))
    return re.compile(regex, re.S)


def recognize(apps, schema_editor):
    Task = apps.get_model("reminders", "Task")
    for task in Task.objects.filter(title_code="").select_related("customer").iterator(chunk_size=500):
        found = recognize_title(task.title, customer_name=task.customer.name)
        if found is not None:
            code, params = found
            Task.objects.filter(pk=task.pk).update(title_code=code, title_params=params)


class Migration(migrations.Migration):
    dependencies = [("reminders", "0010_task_title_code")]

    operations = [migrations.RunPython(recognize, migrations.RunPython.noop)]
