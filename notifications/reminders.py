"""Deadline reminders (DESIGN §2.7): a registry of deadline sources and the daily run over them.

Each stage says what falls due by registering a *source* — a function of the day that yields
``Deadline`` rows — and imports that module from its ``AppConfig.ready()``::

    from notifications.reminders import Deadline, DeadlineKind, register_deadline_source

    @register_deadline_source
    def target_review_deadlines(today: date) -> Iterable[Deadline]:
        for sheet in ...:  # one query with select_related, recipients batched
            yield Deadline(obj=sheet, due_date=..., recipients=[...], title=f"绩效目标审核：{name}",
                           url=sheet.get_absolute_url(), kind=DeadlineKind.REVIEW, warning=...)

A source returns every open deadline it knows (or only those due within ``REMINDER_DAYS[0]``
days, or overdue, if that is cheaper); ``send_reminders`` decides which to remind today.
"""

import datetime
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

from accounts.choices import Role

from .choices import DeadlineKind, Message
from .hub import notify
from .models import Notice

logger = logging.getLogger(__name__)

# Reminders go out when 7, 3 and 1 *calendar* days are left (the due date itself is counted in
# working days by each source): people read "还剩3天" as calendar days, and a weekend in
# between does not hide a reminder.
REMINDER_DAYS = (7, 3, 1)
OVERDUE = "overdue"


@dataclass(frozen=True)
class Deadline:
    """One thing due from some people by some day."""

    obj: models.Model  # what is due (a pre-assessment, a target sheet, …); must have a pk
    due_date: datetime.date
    recipients: Sequence  # the users who must act
    title: str  # what it is, e.g. "事前绩效评估审核：某项目"
    url: str  # where they act on it
    kind: str  # a DeadlineKind: review / submission / rectification
    warning: str = ""  # e.g. WorkingDayResult.warning when a calendar year lacks holiday data


DeadlineSource = Callable[[datetime.date], Iterable[Deadline]]

_sources: dict[str, DeadlineSource] = {}


def register_deadline_source(source: DeadlineSource) -> DeadlineSource:
    """Decorator: add ``source(today) -> Iterable[Deadline]`` to the daily reminder run.

    Keyed by the function's dotted name, so importing a module twice registers it once.
    """
    _sources[f"{source.__module__}.{source.__qualname__}"] = source
    return source


def deadline_sources() -> dict[str, DeadlineSource]:
    return dict(_sources)


# They act for the whole city: their deadlines go to every holder of the role, whatever the organisation.
CITYWIDE_REVIEWERS = (Role.FINANCE_REVIEWER, Role.PERFORMANCE_OFFICE)


def people_by_role(wanted: set[tuple[str, int | None]]) -> dict[tuple[str, int | None], list]:
    """Active users by (role, organisation id) for the wanted pairs — one query over the role
    memberships, for sources that remind many objects at once. City-wide reviewers are keyed
    with organisation None."""
    if not wanted:
        return {}
    Membership = get_user_model().groups.through
    condition = Q(pk__in=[])
    by_role = defaultdict(set)
    for role, org in wanted:
        by_role[role].add(org)
    for role, orgs in by_role.items():
        if role in CITYWIDE_REVIEWERS:
            condition |= Q(group__name=role)
        else:
            condition |= Q(group__name=role, user__organization_id__in=orgs)
    people = defaultdict(list)
    for membership in Membership.objects.filter(condition, user__is_active=True).select_related("user", "group"):
        role, user = membership.group.name, membership.user
        people[(role, None if role in CITYWIDE_REVIEWERS else user.organization_id)].append(user)
    return people


def bucket_for(due_date: datetime.date, today: datetime.date) -> str | None:
    """Which reminder is due today: "7", "3", "1", "overdue", or None (nothing to say yet).

    A deadline is in the tightest bucket its days left fit in (5 days left ⇒ "7"), so a day on
    which the task did not run is caught up on the next run; the dedupe key keeps each bucket to
    one notice, so on the days between buckets nothing new is sent.
    """
    days_left = (due_date - today).days
    if days_left < 0:
        return OVERDUE
    for days in sorted(REMINDER_DAYS):
        if days_left <= days:
            return str(days)
    return None


def dedupe_key(deadline: Deadline, bucket: str) -> str:
    """``kind:app.model:pk:due_date:bucket`` — a new due date (e.g. after a resubmission) starts
    a new series; overdue is told once per object and due date."""
    obj = deadline.obj
    return f"{deadline.kind}:{obj._meta.label_lower}:{obj.pk}:{deadline.due_date.isoformat()}:{bucket}"


def _cn_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _wording(deadline: Deadline, bucket: str, today: datetime.date) -> tuple[Message, str, str]:
    days_left = (deadline.due_date - today).days
    kind = DeadlineKind(deadline.kind).label if deadline.kind in DeadlineKind.values else deadline.kind
    if bucket == OVERDUE:
        message = Message.OVERDUE
        title = f"{deadline.title}：已逾期{-days_left}天"
    else:
        message = Message.DUE_SOON
        title = f"{deadline.title}：{'今天到期' if days_left == 0 else f'还剩{days_left}天'}"
    body = f"{kind}期限：{_cn_date(deadline.due_date)}。"
    if deadline.warning:
        body += f"\n{deadline.warning}"
    return message, title, body


def _existing_keys(keys: set[str]) -> set[tuple[int, str]]:
    """(recipient id, key) pairs already notified; chunked to stay under SQLite's variable limit."""
    found: set[tuple[int, str]] = set()
    ordered = sorted(keys)
    for i in range(0, len(ordered), 500):
        found.update(
            Notice.objects.filter(dedupe_key__in=ordered[i : i + 500]).values_list("recipient_id", "dedupe_key")
        )
    return found


def send_reminders(today: datetime.date) -> dict[str, int]:
    """Ask every source what is due and notify who must act. Safe to run any number of times a day.

    Returns counts: sources asked, failed sources, open deadlines seen, deadlines reminded today
    (someone got a new notice), and notices created (due_soon + overdue = notices).
    """
    summary: Counter = Counter(sources=0, failed_sources=0, deadlines=0, reminded=0, due_soon=0, overdue=0)
    for name, source in deadline_sources().items():
        summary["sources"] += 1
        try:
            deadlines = list(source(today))
        except Exception:  # one broken stage must not silence every other stage's reminders
            logger.exception("deadline source %s failed", name)
            summary["failed_sources"] += 1
            continue
        summary["deadlines"] += len(deadlines)
        due = [(d, b, dedupe_key(d, b)) for d in deadlines if (b := bucket_for(d.due_date, today))]
        already = _existing_keys({key for _, _, key in due})
        for deadline, bucket, key in due:
            recipients = [u for u in deadline.recipients if u is not None and (u.pk, key) not in already]
            if not recipients:
                continue
            message, title, body = _wording(deadline, bucket, today)
            created = notify(message, recipients, title=title, body=body, url=deadline.url, dedupe_key=key)
            summary["reminded"] += bool(created)
            summary[OVERDUE if bucket == OVERDUE else "due_soon"] += len(created)
    summary["notices"] = summary["due_soon"] + summary["overdue"]
    logger.info("deadline reminders for %s: %s", today, dict(summary))
    return dict(summary)
