"""Side-by-side difference of two versions of a target sheet (调整前后对比).

Rows are matched by (period, level 1, level 2, name): a row only in the newer version was added,
one only in the older was removed, one in both with other values was changed (field by field).
Two rows with the same key in one version are paired in their order.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from .choices import Comparator, IndicatorPeriod, Level1, Level2

# What a row says besides its key, with the label the diff shows.
COMPARED = (
    ("value", "指标值"),
    ("weight", "权重"),
    ("last_year_actual", "上年实际值"),
    ("note", "备注"),
)
GOALS = (("overall_goal", "年度总体目标"), ("whole_period_goal", "实施期总目标"))

_PERIOD_ORDER = {value: i for i, value in enumerate(IndicatorPeriod.values)}
_LEVEL1_ORDER = {value: i for i, value in enumerate(Level1.values)}
_LEVEL2_ORDER = {value: i for i, value in enumerate(Level2.values)}


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "normalize"):
        return format(value.normalize(), "f")
    return str(value)


def row_values(row) -> dict:
    """The compared values of an indicator as text (the value with its comparator and unit)."""
    if row.comparator == Comparator.QUALITATIVE:
        value = f"定性：{row.target_text}"
    else:
        value = f"{row.get_comparator_display()}{_text(row.target_value)}{row.unit}"
    return {
        "value": value,
        "weight": _text(row.weight),
        "last_year_actual": _text(row.last_year_actual),
        "note": row.note,
    }


def row_key(row) -> tuple:
    return (row.period, row.level1, row.level2, row.name.strip())


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class RowDiff:
    kind: str  # added / removed / changed / same
    old: object = None  # Indicator of the older version
    new: object = None  # Indicator of the newer version
    changes: list[Change] = field(default_factory=list)

    @property
    def row(self):
        return self.new or self.old

    @property
    def sort_key(self):
        row = self.row
        return (
            _PERIOD_ORDER.get(row.period, 9),
            _LEVEL1_ORDER.get(row.level1, 9),
            _LEVEL2_ORDER.get(row.level2, 99),
            row.position,
        )


@dataclass
class SheetDiff:
    goals: list[Change]
    rows: list[RowDiff]

    def count(self, kind: str) -> int:
        return sum(1 for r in self.rows if r.kind == kind)

    @property
    def added(self) -> int:
        return self.count("added")

    @property
    def removed(self) -> int:
        return self.count("removed")

    @property
    def changed(self) -> int:
        return self.count("changed")

    @property
    def has_changes(self) -> bool:
        return bool(self.goals) or any(r.kind != "same" for r in self.rows)


def diff_rows(old_rows, new_rows) -> list[RowDiff]:
    unmatched = defaultdict(list)
    for row in old_rows:
        unmatched[row_key(row)].append(row)
    result = []
    for row in new_rows:
        candidates = unmatched.get(row_key(row))
        if not candidates:
            result.append(RowDiff("added", new=row))
            continue
        old = candidates.pop(0)
        before, after = row_values(old), row_values(row)
        changes = [Change(label, before[name], after[name]) for name, label in COMPARED if before[name] != after[name]]
        result.append(RowDiff("changed" if changes else "same", old=old, new=row, changes=changes))
    result += [RowDiff("removed", old=row) for rows in unmatched.values() for row in rows]
    return sorted(result, key=lambda r: r.sort_key)


def diff_sheets(old, new, old_rows=None, new_rows=None) -> SheetDiff:
    """``old`` and ``new`` are TargetSheets (rows default to their indicators)."""
    old_rows = list(old.indicators.all()) if old_rows is None else old_rows
    new_rows = list(new.indicators.all()) if new_rows is None else new_rows
    goals = [
        Change(label, getattr(old, name), getattr(new, name))
        for name, label in GOALS
        if getattr(old, name).strip() != getattr(new, name).strip()
    ]
    return SheetDiff(goals=goals, rows=diff_rows(old_rows, new_rows))
