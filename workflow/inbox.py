"""The “我的待办” registry: each stage registers what awaits a user, the dashboard lists it.

A provider is a function ``provider(user) -> list[InboxItem]``; it must start from the
models' ``visible_to(user)`` and cost a fixed number of queries (counts, not rows).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models


class InboxKind(models.TextChoices):
    TO_FILL = "to_fill", "待填报"
    TO_REVIEW = "to_review", "待审核"
    RETURNED = "returned", "被退回"
    OVERDUE = "overdue", "已逾期"


@dataclass(frozen=True)
class InboxItem:
    kind: str  # an InboxKind
    label: str  # e.g. "事前绩效评估待审核"
    count: int
    url: str  # the filtered list that shows these rows


_providers: list[Callable] = []


def register(provider: Callable) -> Callable:
    """Decorator: add a provider to the dashboard (called from an app's ``inbox.py``)."""
    _providers.append(provider)
    return provider


def inbox_for(user) -> list[InboxItem]:
    items = []
    for provider in _providers:
        items.extend(item for item in provider(user) if item.count)
    return items
