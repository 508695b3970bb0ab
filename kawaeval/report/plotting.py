"""Charts of the report as embedded PNG images, drawn the same way on every machine.

Figures are built without pyplot (no global state, nothing shown twice by Jupyter), with the
bundled Japanese font (IPAexGothic, registered by matplotlib_fontja), math parsing off so a
``$`` in a label is just a dollar sign, and PNG metadata without the software version, so
that two builds give the same bytes.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib_fontja
from matplotlib import rc_context
from matplotlib.figure import Figure

from kawaeval.common.text import era_year
from kawaeval.evaluation.model import (
    AchievementLabels,
    Assessment,
    Counts,
    GoalYearResult,
    Shares,
    YearResult,
)
from kawaeval.plan import EVALUATED
from kawaeval.report import rendering

Labels = AchievementLabels | Mapping[str, str]
YearRow = YearResult | GoalYearResult

FONT = matplotlib_fontja.matplotlib_fontja.FONT_NAME
COLOURS = {"exceeded": "#1f4e79", "on_target": "#6fa8dc", "below": "#e69138"}
# on_target and below are the same grey when printed in black and white: below is hatched too
HATCHES = {"below": "//"}
RC = {
    "font.family": FONT,
    "text.parse_math": False,
    "text.usetex": False,
    "svg.hashsalt": "kawaeval",
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass(frozen=True)
class Chart:
    """A rendered chart: PNG bytes and the alternative text read out in its place."""

    png: bytes
    alt: str

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.png).decode("ascii")
        return str(rendering.render("chart.html.j2", css="", data=data, alt=self.alt))

    def __repr__(self) -> str:
        return f"<chart: {self.alt}>"


def render(figure: Figure, alt: str) -> Chart:
    """PNG bytes of a figure, with no software or date in the PNG metadata."""
    buffer = io.BytesIO()
    with rc_context(RC):
        figure.savefig(buffer, format="png", metadata={"Software": None}, bbox_inches="tight")
    return Chart(buffer.getvalue(), alt)


def distribution_figure(counts: Counts, shares: Shares, labels: Labels, title: str) -> Figure:
    """One 100% bar of the evaluated achievements, each part labelled with count and share."""
    total = sum(counts[k] for k in EVALUATED)
    with rc_context(RC):
        figure = Figure(figsize=(8, 2.2))
        ax = figure.add_subplot()
        left = 0.0
        for key in EVALUATED:
            share = 100 * counts[key] / total if total else 0.0
            ax.barh(
                [0],
                [share],
                left=left,
                color=COLOURS[key],
                label=labels[key],
                height=0.6,
                hatch=HATCHES.get(key),
                edgecolor="white",
                linewidth=0,
            )
            if share >= 4:
                ax.text(
                    left + share / 2,
                    0,
                    f"{counts[key]}件\n({shares[key]:.1f}%)",
                    ha="center",
                    va="center",
                    color="white" if key == "exceeded" else "black",
                    parse_math=False,
                )
            elif counts[key]:
                # too thin to hold its label: say it just above the bar, pointing at it
                ax.annotate(
                    f"{counts[key]}件({shares[key]:.1f}%)",
                    xy=(left + share / 2, 0.3),
                    xytext=(left + share / 2, 0.55),
                    ha="left",
                    va="center",
                    fontsize=9,
                    arrowprops={"arrowstyle": "-", "color": "#555555"},
                    annotation_clip=False,
                )
            left += share
        ax.set_xlim(0, 100)
        ax.set_ylim(-0.45, 0.75)
        ax.set_yticks([])
        ax.set_xlabel("割合（%）", parse_math=False)
        ax.set_title(title, parse_math=False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.45), ncol=3, frameon=False)
    return figure


def distribution_chart(counts: Counts, shares: Shares, labels: Labels, title: str) -> Chart:
    """The evaluated year's distribution as a chart (alt text gives every count and share)."""
    alt = title + "：" + "、".join(f"{labels[k]} {counts[k]}件({shares[k]}%)" for k in EVALUATED)
    return render(distribution_figure(counts, shares, labels, title), alt)


def trend_figure(rows: Sequence[YearRow], labels: Labels, title: str) -> Figure:
    """Stacked shares (%) of the evaluated achievements, one bar per fiscal year."""
    with rc_context(RC):
        figure = Figure(figsize=(8, 4))
        ax = figure.add_subplot()
        names = [era_year(r.fiscal_year).replace("(", "\n(") for r in rows]
        bottoms = [0.0] * len(rows)
        for key in EVALUATED:
            shares = [r.shares_pct[key] or 0.0 for r in rows]
            ax.bar(
                names,
                shares,
                bottom=bottoms,
                color=COLOURS[key],
                label=labels[key],
                hatch=HATCHES.get(key),
                edgecolor="white",
                linewidth=0,
            )
            for i, share in enumerate(shares):
                if share >= 5:
                    ax.text(
                        i,
                        bottoms[i] + share / 2,
                        f"{share:.1f}%",
                        ha="center",
                        va="center",
                        color="white" if key == "exceeded" else "black",
                        fontsize=9,
                        parse_math=False,
                    )
            bottoms = [b + s for b, s in zip(bottoms, shares, strict=True)]
        ax.set_ylim(0, 100)
        ax.set_ylabel("割合（%）", parse_math=False)
        ax.set_title(title, parse_math=False)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return figure


def trend_chart(rows: Sequence[YearRow], labels: Labels, title: str) -> Chart:
    """Shares year by year as a chart (alt text gives every year's shares)."""
    alt = (
        title
        + "："
        + "；".join(
            f"{r.fiscal_year}年度 "
            + "、".join(
                f"{labels[k]} {r.shares_pct[k]}%" for k in EVALUATED if r.shares_pct[k] is not None
            )
            for r in rows
        )
    )
    return render(trend_figure(rows, labels, title), alt)


def goal_trend_chart(assessment: Assessment, goal: int) -> Chart:
    """One goal's shares year by year."""
    rows = assessment.goal_by_year(goal)
    return trend_chart(rows, assessment.labels, f"基本目標{goal}の達成度の推移")


def program_trend_chart(assessment: Assessment) -> Chart:
    """All initiatives' shares year by year."""
    return trend_chart(assessment.program_by_year, assessment.labels, "全取組の達成度の推移")


def program_distribution_chart(assessment: Assessment) -> Chart:
    """All initiatives' distribution in the evaluated year."""
    program = assessment.program
    return distribution_chart(
        program.counts,
        program.shares_pct,
        assessment.labels,
        f"{era_year(assessment.fiscal_year)}の各取組の達成度（取組数 {program.initiatives}件）",
    )


def donut_figure(counts: Counts, shares: Shares, labels: Labels, centre: str) -> Figure:
    """A ring of the evaluated achievements as the city's summary draws it: each part labelled
    with its count and share outside the ring, ``centre`` (取組数 109件) inside."""
    parts = [k for k in EVALUATED if counts[k]]
    with rc_context(RC):
        figure = Figure(figsize=(6.4, 3.4))
        ax = figure.add_subplot()
        wedges, _ = ax.pie(
            [counts[k] for k in parts],
            colors=[COLOURS[k] for k in parts],
            hatch=[HATCHES.get(k) for k in parts],
            startangle=90,
            counterclock=False,
            wedgeprops={"width": 0.38, "edgecolor": "white", "linewidth": 1},
        )
        for key, wedge in zip(parts, wedges, strict=True):
            angle = math.radians((wedge.theta1 + wedge.theta2) / 2)
            x, y = math.cos(angle), math.sin(angle)
            ax.annotate(
                f"{counts[key]}件({shares[key]:.1f}%)",
                xy=(0.98 * x, 0.98 * y),
                xytext=(1.3 * x + (0.15 if x >= 0 else -0.15), 1.22 * y),
                ha="left" if x >= 0 else "right",
                va="center",
                fontsize=10,
                arrowprops={"arrowstyle": "-", "color": "#555555"},
                parse_math=False,
            )
        ax.text(0, 0, centre, ha="center", va="center", fontsize=11, parse_math=False)
        ax.set_aspect("equal")
        ax.legend(
            wedges,
            [labels[k] for k in parts],
            loc="center left",
            bbox_to_anchor=(1.25, 0.5),
            frameon=False,
        )
    return figure


def program_donut_chart(assessment: Assessment) -> Chart:
    """All initiatives' distribution in the evaluated year as a ring (the summary's chart); its
    alt text gives every count and share."""
    program = assessment.program
    labels = assessment.labels
    title = f"{era_year(assessment.fiscal_year)}の各取組の達成度（取組数 {program.initiatives}件）"
    counts, shares = program.counts, program.shares_pct
    alt = title + "：" + "、".join(f"{labels[k]} {counts[k]}件({shares[k]}%)" for k in EVALUATED)
    centre = f"取組数\n{program.initiatives}件"
    return render(donut_figure(counts, shares, labels, centre), alt)
