"""Follow-up (dunning): plans and their steps, the settings of automatic sending, tasks for people.

Deciding writes outbox rows (messaging.Dispatch), unique per (invoice, step); messaging delivers them. See
reminders/decide.py and docs/architecture.md.
"""

from __future__ import annotations

from datetime import time

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from messaging.models import FallbackChannel, StepChannel, TemplatePurpose
from organizations.models import Organization


class Grouping(models.TextChoices):
    PER_CUSTOMER = "customer", _("One message per customer")  # lists every invoice that reached the step
    PER_INVOICE = "invoice", _("One message per invoice")  # each invoice follows the plan on its own


class FollowUpPlan(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="follow_up_plans")
    name = models.CharField(_("name"), max_length=100)
    grouping = models.CharField(_("grouping"), max_length=16, choices=Grouping.choices, default=Grouping.PER_CUSTOMER)
    is_default = models.BooleanField(
        _("default plan"), default=False, help_text=_("Applies to customers without a plan of their own.")
    )
    fallback_channel = models.CharField(
        _("when an e-mail is refused"), max_length=16, choices=FallbackChannel.choices, default=FallbackChannel.TASK,
        help_text=_("What follows when an e-mail of this plan cannot be delivered to any address."),
    )  # fmt: skip
    # One of this plan's steps (checked in the form and the API); empty: the first step after the due date.
    late_entry_step = models.ForeignKey(
        "FollowUpStep",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("first step for late arrivals"),
        help_text=_(
            "An invoice that enters follow-up when several steps have passed starts here; empty: the "
            "first reminder after the due date."
        ),
    )
    review_before_sending = models.BooleanField(
        _("review messages before sending"),
        default=False,
        help_text=_("Automatic messages of this plan wait on Follow-up > To approve until someone approves them."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow-up plan")
        verbose_name_plural = _("follow-up plans")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="follow_up_plan_name_per_organization"),
            models.UniqueConstraint(
                fields=["organization"], condition=Q(is_default=True), name="one_default_follow_up_plan"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FollowUpStep(models.Model):
    """One step of a plan: what happens how many days after (or before, if negative) the due date."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(FollowUpPlan, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("level"))
    name = models.CharField(_("name"), max_length=100)
    offset_days = models.SmallIntegerField(_("days after the due date"), help_text=_("Negative: before the due date."))
    channel = models.CharField(_("channel"), max_length=16, choices=StepChannel.choices, default=StepChannel.EMAIL)
    purpose = models.CharField(_("message"), max_length=32, choices=TemplatePurpose.choices, blank=True)
    min_open_amount = models.DecimalField(
        _("minimum open amount"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("Skip invoices owing less than this."),
    )  # fmt: skip
    attach_pdfs = models.BooleanField(_("attach invoice PDFs"), default=True)
    cc_account_manager = models.BooleanField(_("copy the account manager (CC)"), default=False)
    bcc_sender = models.BooleanField(_("send a copy to the sender (BCC)"), default=False)
    # A member of the organization's tenant who reaches the organization (checked in the form and the API).
    assignee = models.ForeignKey(
        "organizations.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("assign tasks to"),
        help_text=_("Tasks of this step go to this member; empty: the customer's account manager."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("follow-up step")
        verbose_name_plural = _("follow-up steps")
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "position"], name="step_position_per_plan")]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"

    @property
    def message_purpose(self) -> str:
        """The message this step sends: its own choice, else the one its place in the plan implies."""
        if self.purpose:
            return self.purpose
        if self.offset_days < 0:
            return TemplatePurpose.PRE_DUE
        return PURPOSE_BY_LEVEL.get(self.position, TemplatePurpose.FINAL_NOTICE)


PURPOSE_BY_LEVEL = {1: TemplatePurpose.REMINDER_1, 2: TemplatePurpose.REMINDER_2}
# Messages whose default texts speak of earlier reminders ("despite our earlier reminders"): never the first one
# a debtor receives (reminders/decide.py sends the first reminder's text instead).
REFERS_TO_EARLIER_REMINDERS = frozenset({TemplatePurpose.REMINDER_2, TemplatePurpose.FINAL_NOTICE})


class FollowUpSettings(models.Model):
    """Per organization: the switch for all automatic sending, test mode and the sending window."""

    organization = models.OneToOneField(Organization, on_delete=models.PROTECT, related_name="follow_up_settings")
    sending_enabled = models.BooleanField(
        _("automatic sending on"),
        default=True,
        help_text=_("Off: nothing goes out automatically; manual sends still work."),
    )
    test_mode = models.BooleanField(
        _("test mode"), default=False, help_text=_("Messages are rendered and recorded, but not sent.")
    )
    weekdays = models.JSONField(_("sending days"), default=list)  # 0 = Monday; empty means Monday to Friday
    send_start = models.TimeField(_("sending from"), default=time(9, 0))
    send_end = models.TimeField(_("sending until"), default=time(17, 0))
    lateness_days = models.PositiveSmallIntegerField(
        _("give up after (days)"), default=3,
        help_text=_("A message that could not go out for this long is marked missed instead of sent late."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("follow-up settings")
        verbose_name_plural = _("follow-up settings")

    def __str__(self) -> str:
        return f"{self.organization}"


class TaskStatus(models.TextChoices):
    TODO = "todo", _("To do")
    DONE = "done", pgettext_lazy("task", "Done")


class Task(models.Model):
    """An action for a person (Actions): call the customer, resolve a bounce, decide a manual step."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="tasks")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="tasks")
    invoice = models.ForeignKey(
        "invoices.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    dispatch = models.OneToOneField(
        "messaging.Dispatch", null=True, blank=True, on_delete=models.PROTECT, related_name="task"
    )
    title = models.CharField(_("task"), max_length=200)  # in the organization's language, as opened
    # The title without a language (reminders/task_titles.py): shown in each reader's language.
    title_code = models.CharField(max_length=40, blank=True)
    title_params = models.JSONField(default=dict, blank=True)
    assigned_to = models.ForeignKey(
        "organizations.Membership", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks",
        verbose_name=_("assigned to"),
    )  # fmt: skip
    status = models.CharField(_("status"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.TODO)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["status", "due_on", "id"]
        indexes = [models.Index(fields=["organization", "status", "assigned_to"], name="task_by_assignee")]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        from reminders.task_titles import render_task_title

        return render_task_title(self.title_code, self.title_params, fallback=self.title)


class Lease(models.Model):
    """A named lease with an expiry: work that must run one at a time (the follow-up tick) holds it while it runs.

    Used where PostgreSQL's advisory locks are not available (SQLite, the embedded default); see reminders.lease.
    A holder that dies leaves it until `expires_at`, which is longer than the task time limit.
    """

    name = models.CharField(max_length=100, unique=True)
    holder = models.CharField(max_length=64, blank=True)  # a token of the current holder; empty when free
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
