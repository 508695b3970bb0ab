"""Charts: same bytes every time, Japanese glyphs from the bundled font, labels never parsed."""

import io
import warnings

from matplotlib import font_manager
from matplotlib.text import Text
from PIL import Image

from kawaeval.report import plotting

LABELS = {
    "exceeded": "目標を上回って達成",
    "on_target": "ほぼ目標どおり",
    "below": "目標を下回った",
    "not_evaluated": "評価対象外",
}


def _texts(figure):
    return [t for t in figure.findobj(Text) if t.get_text()]


def test_charts_are_byte_identical_and_carry_no_software_metadata(assessment):
    first = plotting.program_distribution_chart(assessment)
    second = plotting.program_distribution_chart(assessment)
    assert first.png == second.png
    assert first.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert b"Software" not in first.png
    assert b"matplotlib" not in first.png
    width, height = Image.open(io.BytesIO(first.png)).size
    assert width > 300 and height > 100


def test_japanese_text_uses_the_bundled_font_and_no_glyph_is_missing(assessment):
    figure = plotting.distribution_figure(
        assessment["program"]["counts"],
        assessment["program"]["shares_pct"],
        LABELS,
        "令和３(2021)年度の各取組の達成度",
    )
    for text in _texts(figure):
        assert font_manager.findfont(text.get_fontproperties()).endswith("ipaexg.ttf")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        plotting.render(figure, "alt")


def test_labels_are_not_parsed_as_math():
    counts = {"exceeded": 1, "on_target": 1, "below": 1, "not_evaluated": 0}
    shares = {"exceeded": 33.3, "on_target": 33.3, "below": 33.3}
    figure = plotting.distribution_figure(counts, shares, LABELS, "**x** $y")
    title = figure.axes[0].title
    assert title.get_text() == "**x** $y"
    assert not title.get_parse_math()
    assert all(not t.get_parse_math() for t in _texts(figure))
    # an unbalanced "$" would make mathtext raise when drawn
    assert plotting.render(figure, "alt").png.startswith(b"\x89PNG")


def test_chart_html_embeds_the_png_and_escapes_the_alt_text():
    chart = plotting.Chart(b"\x89PNG-bytes", 'a <b>"chart"</b>')
    assert chart._repr_html_() == (
        '<div class="kawaeval tex2jax_ignore mathjax_ignore">'
        '<img src="data:image/png;base64,iVBORy1ieXRlcw==" '
        'alt="a &lt;b&gt;&#34;chart&#34;&lt;/b&gt;"></div>'
    )


def test_alt_text_gives_the_figures(assessment):
    assert plotting.program_distribution_chart(assessment).alt == (
        "令和３(2021)年度の各取組の達成度（取組数 109件）："
        "目標を上回って達成 1件(0.9%)、ほぼ目標どおり 87件(79.8%)、目標を下回った 21件(19.3%)"
    )
    alt = plotting.goal_trend_chart(assessment, 1).alt
    assert alt.startswith("基本目標1の達成度の推移：2018年度 目標を上回って達成 0.0%、")
    assert "2021年度 目標を上回って達成 6.3%、ほぼ目標どおり 75.0%、目標を下回った 18.8%" in alt


def test_trend_figure_has_one_bar_per_year(assessment):
    figure = plotting.trend_figure(assessment["program_by_year"], LABELS, "推移")
    ticks = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert ticks == [
        "平成30\n(2018)年度",
        "令和元\n(2019)年度",
        "令和２\n(2020)年度",
        "令和３\n(2021)年度",
    ]


def _grey(colour) -> float:
    """Luminance (0-1) of a colour as a black-and-white printer renders it."""
    from matplotlib.colors import to_rgb

    red, green, blue = to_rgb(colour)
    return 0.299 * red + 0.587 * green + 0.114 * blue


def test_achievements_stay_apart_when_printed_in_grey(assessment):
    """Two parts of equal grey must differ by a pattern, so a greyscale print tells them apart."""
    for figure in (
        plotting.trend_figure(assessment["program_by_year"], LABELS, "推移"),
        plotting.distribution_figure(
            assessment["program"]["counts"], assessment["program"]["shares_pct"], LABELS, "分布"
        ),
    ):
        legend = figure.axes[0].get_legend()
        texts = [t.get_text() for t in legend.get_texts()]
        handles = dict(zip(texts, legend.legend_handles, strict=True))
        looks = {
            key: (
                round(_grey(handles[LABELS[key]].get_facecolor()), 1),
                handles[LABELS[key]].get_hatch(),
            )
            for key in ("exceeded", "on_target", "below")
        }
        assert len(set(looks.values())) == 3, looks
