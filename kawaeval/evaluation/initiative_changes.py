"""The initiatives two reports' records differ in: added or removed, every changed field (a
year's achievement, name, bureau, goal, direction, reason) with the file and row it now comes
from (a moved file or row alone is not a change), a renumbered initiative (旧取組番号) as one
change of its id, and, between two evaluated years, how each achievement moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from kawaeval.evaluation.comparison import MOVEMENTS, InitiativeChange, Snapshot
from kawaeval.plan import EVALUATED

FIELDS = ("goal", "direction", "name", "bureau", "reason", "former_ids")
"""An initiative's fields besides its achievements: those of its latest year (a renumbered
initiative's rows may differ from year to year); ``former_ids`` is optional in the tidy table."""
FIELD_ORDER = (
    "initiative_id",
    "goal",
    "direction",
    "name",
    "bureau",
    "achievement",
    "reason",
    "former_ids",
)
"""The order in which a change record lists an initiative's changed fields."""
SOURCE = ("source_file", "source_row")
TIDY_COLUMNS = ("initiative_id", *FIELDS[:-1], "fiscal_year", "achievement", *SOURCE)
"""The tidy table's columns a comparison needs (docs/data-dictionary.md)."""

RANK = {key: rank for rank, key in enumerate(reversed(EVALUATED), start=1)}
"""How good an evaluated achievement is (below 1 … exceeded 3), for what moved up or down."""


def _plain(value: object) -> object:
    """A cell as a plain Python value (missing -> None, numpy ints -> int)."""
    if value is None or value is pd.NA:
        return None
    if not isinstance(value, str) and pd.isna(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


@dataclass(frozen=True)
class _Initiatives:
    """One report's initiatives: fields of each (its latest year's, as plain objects, in the
    tidy table's order), its achievement per year, and where each year's row comes from."""

    fields: pd.DataFrame
    achievements: pd.DataFrame
    rows: pd.DataFrame

    @cached_property
    def _by_year(self) -> pd.DataFrame:
        return self.rows.set_index(["initiative_id", "fiscal_year"]).sort_index()

    def source(self, initiative: str, year: int | None = None) -> tuple:
        """The file and Excel row of an initiative (of one year's row, when given)."""
        if year is not None and (initiative, year) in self._by_year.index:
            row = self._by_year.loc[(initiative, year)]
            return row["source_file"], _plain(row["source_row"])
        row = self.fields.loc[initiative]
        return row["source_file"], _plain(row["source_row"])


def _per_initiative(tidy: pd.DataFrame, years: list[int]) -> _Initiatives:
    columns = [c for c in (*TIDY_COLUMNS, "former_ids") if c in tidy.columns]
    rows = tidy.loc[tidy["fiscal_year"].isin(years), columns]
    rows = rows.assign(initiative_id=rows["initiative_id"].astype(object))
    if "former_ids" not in rows.columns:  # a tidy table from before renumbered initiatives
        rows = rows.assign(former_ids=None)
    order = rows.drop_duplicates("initiative_id")["initiative_id"]
    latest = rows.sort_values("fiscal_year", kind="stable").drop_duplicates(
        "initiative_id", keep="last"
    )
    fields = latest.set_index("initiative_id").loc[order, [*FIELDS, *SOURCE]].astype(object)
    fields = fields.where(fields.notna(), None)
    achievements = (
        rows.assign(achievement=rows["achievement"].astype(object))
        .pivot(index="initiative_id", columns="fiscal_year", values="achievement")
        .reindex(index=fields.index, columns=years)
    )
    achievements = achievements.astype(object).where(achievements.notna(), None)
    return _Initiatives(fields, achievements, rows[["initiative_id", "fiscal_year", *SOURCE]])


def _renumbered(old: _Initiatives, new: _Initiatives) -> dict[str, str]:
    """Initiatives renumbered between two reports: old id -> new id (the new one names the old
    in its ``former_ids``, and the old id is gone)."""
    old_ids, new_ids = set(old.fields.index), set(new.fields.index)
    found = {}
    for initiative, former in new.fields["former_ids"].items():
        if initiative in old_ids or not former:
            continue
        for earlier in str(former).split("、"):
            if earlier in old_ids and earlier not in new_ids and earlier not in found:
                found[earlier] = initiative
                break
    return found


def _differs(old: pd.Series, new: pd.Series) -> pd.Series:
    """Which cells differ, two missing values being equal."""
    both_missing = old.isna() & new.isna()
    return ~both_missing & (old.isna() | new.isna() | (old != new))


def _order(fields: pd.DataFrame) -> dict[str, tuple]:
    return {
        i: (goal, direction, i)
        for i, goal, direction in zip(
            fields.index, fields["goal"], fields["direction"], strict=True
        )
    }


def initiative_changes(old: Snapshot, new: Snapshot, across: bool) -> list[InitiativeChange]:
    old_years = old.assessment.years_so_far()
    new_years = new.assessment.years_so_far()
    before_all = _per_initiative(old.tidy, old_years)
    after_all = _per_initiative(new.tidy, new_years)
    renumbered = _renumbered(before_all, after_all)
    new_of = {i: renumbered.get(i, i) for i in before_all.fields.index}  # old id -> its id now
    old_of = {now: was for was, now in new_of.items()}
    new_fields = after_all.fields
    found: list[tuple[tuple, int, InitiativeChange]] = []

    def describe(initiatives: _Initiatives, i: str, year: int | None = None) -> dict:
        row = initiatives.fields.loc[i]
        source_file, source_row = initiatives.source(i, year)
        return {
            "initiative_id": i,
            "name": row["name"],
            "goal": _plain(row["goal"]),
            "direction": _plain(row["direction"]),
            "bureau": row["bureau"],
            "source_file": source_file,
            "source_row": source_row,
        }

    new_order, old_order = _order(new_fields), _order(before_all.fields)
    for i in new_fields.index:
        if i not in old_of:
            years = tuple((y, after_all.achievements.at[i, y]) for y in new_years)
            change = InitiativeChange("added", **describe(after_all, i), achievements=years)
            found.append((new_order[i], -1, change))
    for i in before_all.fields.index:
        if new_of[i] not in new_fields.index:
            years = tuple((y, before_all.achievements.at[i, y]) for y in old_years)
            change = InitiativeChange("removed", **describe(before_all, i), achievements=years)
            found.append((old_order[i], -1, change))

    common = [i for i in new_fields.index if i in old_of]
    if common:
        # the older report's rows under the ids they have now (a renumbered one's new id)
        before = before_all.fields.loc[[old_of[i] for i in common]].set_axis(common)
        after = new_fields.loc[common]
        for was, now in renumbered.items():
            change = InitiativeChange(
                "changed", **describe(after_all, now), field="initiative_id", old=was, new=now
            )
            found.append((new_order[now], 0, change))
        for rank, name in enumerate(FIELD_ORDER):
            if name in ("initiative_id", "achievement"):
                continue
            changed = _differs(before[name], after[name])
            for i in after.index[changed.to_numpy()]:
                if name == "former_ids" and i in renumbered.values():
                    continue  # said by the renumbering itself
                change = InitiativeChange(
                    "changed",
                    **describe(after_all, i),
                    field=name,
                    old=_plain(before.at[i, name]),
                    new=_plain(after.at[i, name]),
                )
                found.append((new_order[i], rank * 10_000, change))
        old_achievements = before_all.achievements.loc[[old_of[i] for i in common]].set_axis(common)
        new_achievements = after_all.achievements.loc[common]
        rank = FIELD_ORDER.index("achievement") * 10_000
        if across:
            found += _movements(old, new, old_achievements, new_achievements, after_all)
        else:
            for year in new_years:
                if year not in old_achievements.columns:
                    continue
                was, now = old_achievements[year], new_achievements[year]
                for i in now.index[_differs(was, now).to_numpy()]:
                    change = InitiativeChange(
                        "changed",
                        **describe(after_all, i, year),
                        field="achievement",
                        old=was.at[i],
                        new=now.at[i],
                        old_year=year,
                        new_year=year,
                    )
                    found.append((new_order[i], rank + year, change))
    found.sort(key=lambda item: (item[0], item[1]))
    return [change for _, _, change in found]


def movement(old: str | None, new: str | None) -> str | None:
    """How an initiative's achievement moved from one evaluated year to the next, None if not.

    Below target from on target or above is ``fell_below``; out of below target,
    ``recovered``; from on target to above, ``moved_up``; from above to on target,
    ``moved_down``; into or out of not evaluated (or no record),
    ``no_longer_evaluated`` / ``newly_evaluated``.
    """
    if old == new:
        return None
    if new not in RANK:
        return "no_longer_evaluated"
    if old not in RANK:
        return "newly_evaluated"
    if new == "below":
        return "fell_below"
    if old == "below":
        return "recovered"
    return "moved_up" if RANK[new] > RANK[old] else "moved_down"


def _movements(old, new, old_achievements, new_achievements, after: _Initiatives) -> list:
    old_year, new_year = old.assessment.fiscal_year, new.assessment.fiscal_year
    rank = FIELD_ORDER.index("achievement") * 10_000
    was, now = old_achievements[old_year], new_achievements[new_year]
    found = []
    order = _order(after.fields)
    for i in now.index[_differs(was, now).to_numpy()]:
        kind = movement(was.at[i], now.at[i])
        if kind is None:
            continue
        row = after.fields.loc[i]
        source_file, source_row = after.source(i, new_year)
        change = InitiativeChange(
            kind,
            initiative_id=i,
            name=row["name"],
            goal=_plain(row["goal"]),
            direction=_plain(row["direction"]),
            bureau=row["bureau"],
            field="achievement",
            old=was.at[i],
            new=now.at[i],
            old_year=old_year,
            new_year=new_year,
            source_file=source_file,
            source_row=source_row,
        )
        found.append((order[i], rank + MOVEMENTS.index(kind), change))
    return found
