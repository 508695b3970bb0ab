"""Write the sample records in data/raw/: reconstructed to match the city's published summary.

The city's own per-initiative records are not public; its summary states counts, shares and
grades only. This script builds 109 initiative histories (FY2018-FY2021) that reproduce every
published figure, plus committee judgements, main results and illustrative reference
indicators, in the shapes bureaus hand over (one file per bureau; CP932/UTF-8 CSV and xlsx;
several header and value spellings from the data contract). It is deterministic: a fixed seed
and fixed file metadata, so a rerun writes byte-identical files.

Usage: python scripts/make_sample_records.py [--out DIR]   (default: data/raw/)
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import random
from dataclasses import dataclass, field
from pathlib import Path

from kawaeval.common.spreadsheet import stable_xlsx_bytes
from kawaeval.forms.input_form import bureau_file_names

SEED = 20220331
YEARS = (2018, 2019, 2020, 2021)
FIXED_TIME = datetime.datetime(2022, 3, 31, 0, 0, 0)
ZIP_TIME = (2022, 3, 31, 0, 0, 0)
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data" / "raw"

# Initiatives per direction (goal -> sizes of directions 1, 2, 3): 16, 34 and 59 in all.
DIRECTION_SIZES = {1: (4, 7, 5), 2: (10, 12, 12), 3: (22, 22, 15)}

# The initiatives the published summary names: (goal, direction, seq) -> (name, bureau).
NAMED = {
    (1, 1, 2): ("羽田連絡道路整備事業", "建設緑政局"),
    (1, 2, 3): ("海外販路開拓事業", "経済労働局"),
    (1, 3, 1): ("国際環境産業推進事業", "経済労働局"),
    (2, 1, 4): ("地球温暖化対策の推進", "環境局"),
    (2, 2, 1): ("観光振興事業", "経済労働局"),
    (2, 3, 5): ("インドネシア・バンドン市との都市間連携による低炭素都市形成支援", "環境局"),
    (2, 3, 8): ("上下水道分野における技術協力", "上下水道局"),
    (3, 2, 3): ("国際交流センター等を活用した外国人相談の実施", "市民文化局"),
    (3, 2, 10): ("海外帰国・外国人児童生徒相談事業", "教育委員会事務局"),
    (3, 3, 1): ("人権関連事業", "市民文化局"),
}

# Bureaus that carry the placeholder initiatives of each direction (assigned in turn).
BUREAUS_BY_DIRECTION = {
    (1, 1): ("臨海部国際戦略本部", "建設緑政局"),
    (1, 2): ("経済労働局",),
    (1, 3): ("経済労働局", "環境局"),
    (2, 1): ("総務企画局", "環境局", "市民文化局"),
    (2, 2): ("経済労働局", "まちづくり局", "港湾局"),
    (2, 3): ("総務企画局", "上下水道局", "環境局"),
    (3, 1): ("市民文化局", "教育委員会事務局"),
    (3, 2): ("市民文化局", "健康福祉局", "教育委員会事務局", "こども未来局"),
    (3, 3): ("教育委員会事務局", "市民文化局"),
}

COVID = {
    "event": "新型コロナウイルス感染症の影響によりイベントを中止したため",
    "capacity": "新型コロナウイルス感染症の影響により入場制限を行い、参加者数が目標を下回ったため",
    "course": "新型コロナウイルス感染症の影響により講座・教室を中止又は縮小したため",
    "travel": "新型コロナウイルス感染症の影響により国内外の旅行者が激減したため",
    "closure": "新型コロナウイルス感染症の影響により観光施設が休館したため",
    "visits": "新型コロナウイルス感染症の影響により海外都市からの訪問受入が減少したため",
    "abroad": "新型コロナウイルス感染症の影響により海外への渡航が困難となったため",
    "exchange": "新型コロナウイルス感染症の影響により対面での交流事業を中止したため",
}
COVID_BY_DIRECTION = {
    (1, 2): ("abroad",),
    (2, 1): ("event", "capacity"),
    (2, 2): ("travel", "closure"),
    (2, 3): ("visits", "abroad"),
    (3, 1): ("exchange", "course"),
    (3, 2): ("course",),
    (3, 3): ("exchange", "course"),
}

# Below-target histories: (goal, direction, named seq or None for a drawn placeholder,
# years below, reason key or literal non-COVID reason, how many such initiatives).
BELOW_PATTERNS = [
    # goal 1: FY2018 1, FY2019 2, FY2020 3, FY2021 3 below
    (
        1,
        3,
        1,
        (2020, 2021),
        "新型コロナウイルス感染症の影響により環境技術展をオンライン開催とし、"
        "商談件数が目標を下回ったため",
        1,
    ),
    (1, 2, None, (2020, 2021), "abroad", 1),
    (1, 1, None, (2019, 2020, 2021), "関係機関との調整に時間を要し、事業の着手が遅れたため", 1),
    (1, 2, None, (2018, 2019), "支援対象企業の応募が見込みを下回ったため", 1),
    # goal 2: FY2018 3, FY2019 3, FY2020 15, FY2021 12 below
    (2, 1, None, (2018,), "広報媒体の見直しにより発信件数が減少したため", 1),
    (2, 3, None, (2018, 2019), "相手都市の体制変更により協議が進まなかったため", 1),
    (2, 2, None, (2018, 2019, 2020), "施設の改修工事により受入規模を縮小したため", 1),
    (2, 1, None, (2019,), "事業内容の見直しを行ったため", 1),
    (
        2,
        2,
        1,
        (2020, 2021),
        "新型コロナウイルス感染症の影響により国内外の旅行者が激減し、観光施設も休館したため",
        1,
    ),
    (2, 1, None, (2020, 2021), None, 4),
    (2, 1, None, (2020,), None, 1),
    (2, 2, None, (2020, 2021), None, 3),
    (2, 2, None, (2020,), None, 1),
    (2, 3, None, (2020, 2021), None, 3),
    (2, 3, None, (2020,), None, 1),
    (2, 3, None, (2021,), "関係機関との調整に時間を要したため", 1),
    # goal 3: FY2018 1, FY2019 0, FY2020 7, FY2021 6 below
    (3, 1, None, (2018,), "講師の確保が困難であったため", 1),
    (3, 1, None, (2020, 2021), None, 3),
    (3, 1, None, (2020,), None, 1),
    (3, 2, None, (2020, 2021), None, 1),
    (3, 3, None, (2020, 2021), None, 1),
    (3, 3, None, (2020,), None, 1),
    (3, 3, None, (2021,), "受入れ先との調整が整わなかったため", 1),
]
# FY2021 "目標を上回って達成": one initiative (goal 1).
EXCEEDED = {(1, 2, 3): (2021,)}


@dataclass
class Initiative:
    goal: int
    direction: int
    seq: int
    name: str
    from_summary: bool
    bureau: str
    results: dict[int, str] = field(default_factory=lambda: dict.fromkeys(YEARS, "on_target"))
    reason: str = ""

    @property
    def initiative_id(self) -> str:
        return f"{self.goal}-{self.direction}-{self.seq:02d}"


def build_initiatives() -> list[Initiative]:
    """All 109 initiatives with their yearly results and below-target reasons."""
    rng = random.Random(SEED)
    items: dict[tuple[int, int, int], Initiative] = {}
    for goal, sizes in DIRECTION_SIZES.items():
        for direction, size in enumerate(sizes, start=1):
            bureaus = BUREAUS_BY_DIRECTION[(goal, direction)]
            turn = 0
            for seq in range(1, size + 1):
                key = (goal, direction, seq)
                if key in NAMED:
                    name, bureau = NAMED[key]
                    items[key] = Initiative(goal, direction, seq, name, True, bureau)
                else:
                    name = f"取組{goal}-{direction}-{seq:02d}（仮称・サンプル）"
                    bureau = bureaus[turn % len(bureaus)]
                    turn += 1
                    items[key] = Initiative(goal, direction, seq, name, False, bureau)
    free = {
        (g, d): [k for k in sorted(items) if k[:2] == (g, d) and k not in NAMED]
        for (g, d) in BUREAUS_BY_DIRECTION
    }
    for pool in free.values():
        rng.shuffle(pool)
    for goal, direction, seq, years, reason, count in BELOW_PATTERNS:
        for _ in range(count):
            key = (goal, direction, seq) if seq is not None else free[(goal, direction)].pop()
            item = items[key]
            for year in years:
                item.results[year] = "below"
            if reason is None:
                item.reason = COVID[rng.choice(COVID_BY_DIRECTION[(goal, direction)])]
            else:
                item.reason = COVID.get(reason, reason)
    for key, years in EXCEEDED.items():
        for year in years:
            items[key].results[year] = "exceeded"
    return [items[k] for k in sorted(items)]


# ---------------------------------------------------------------- file styles
ROMAN = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ"}
FULL = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class Style:
    """How one bureau writes its file: format, encoding, header and value spellings."""

    kind: str  # "xlsx" or "csv"
    encoding: str  # for csv: "cp932", "utf-8-sig", "utf-8"
    headers: tuple[str, ...]  # id, goal, direction, name, bureau, 4 years, reason, source
    goal: object
    direction: object
    achievement: dict[str, str]
    sheets_before: tuple[str, ...] = ()


STYLES = {
    "A": Style(
        "xlsx",
        "",
        (
            "取組番号",
            "基本目標",
            "取組の方向性",
            "取組名",
            "所管局",
            "2018年度",
            "2019年度",
            "2020年度",
            "2021年度",
            "主な理由",
            "名称の出典",
        ),
        lambda g: str(g),
        lambda g, d: f"{g}-{d}",
        {
            "exceeded": "目標を上回って達成",
            "on_target": "ほぼ目標どおり",
            "below": "目標を下回った",
        },
    ),
    "B": Style(
        "csv",
        "cp932",
        (
            "番号",
            "基本目標",
            "方向性",
            "事務事業名",
            "局名",
            "平成30年度",
            "令和元年度",
            "令和2年度",
            "令和3年度",
            "理由",
            "名称の出典",
        ),
        lambda g: f"基本目標{g}",
        lambda g, d: f"方向性{d}",
        {"exceeded": "2", "on_target": "3", "below": "4"},
    ),
    "C": Style(
        "csv",
        "utf-8-sig",
        (
            "No.",
            "基本目標",
            "取組の方向性",
            "取組名",
            "所管課",
            "FY2018",
            "FY2019",
            "FY2020",
            "FY2021",
            "下回った理由",
            "名称の出典",
        ),
        lambda g: ROMAN[g],
        lambda g, d: str(d).translate(FULL),
        {"exceeded": "目標を上回った", "on_target": "ほぼ目標通り", "below": "目標を下回った"},
    ),
    "D": Style(
        "xlsx",
        "",
        (
            "ID",
            "基本目標",
            "方向性",
            "取組名",
            "所管局",
            "平成30(2018)年度",
            "令和元（2019）年度",
            "令和2(2020)年度",
            "令和３（２０２１）年度",
            "主な理由",
            "名称の出典",
        ),
        lambda g: f"基本目標{ROMAN[g]}",
        lambda g, d: f"{g}－{d}".translate(FULL),
        {
            "exceeded": "目標を大きく上回って達成",
            "on_target": "ほぼ目標どおり",
            "below": "目標を大きく下回った",
        },
        sheets_before=("記入要領",),
    ),
    "E": Style(
        "csv",
        "utf-8",
        (
            "No",
            "基本目標",
            "方向性",
            "取組",
            "局名",
            "H30",
            "R1",
            "R2",
            "R3",
            "主な理由",
            "名称の出典",
        ),
        lambda g: f"基本目標{g}".translate(FULL),
        lambda g, d: ROMAN[d],
        {"exceeded": "２", "on_target": "３", "below": "４"},
    ),
}

# bureau -> style; each bureau's file is named as `kawaeval template --by-bureau` names its
# workbook (取組_<bureau>, kawaeval.forms.input_form.bureau_file_names), with the style's
# extension, so a returned workbook replaces exactly one file
BUREAU_STYLES = {
    "経済労働局": "A",
    "まちづくり局": "A",
    "市民文化局": "B",
    "建設緑政局": "B",
    "健康福祉局": "B",
    "環境局": "C",
    "臨海部国際戦略本部": "C",
    "こども未来局": "C",
    "教育委員会事務局": "D",
    "上下水道局": "D",
    "総務企画局": "E",
    "港湾局": "E",
}


def bureau_files() -> dict[str, tuple[str, str]]:
    """bureau -> (file name, style): the template's workbook name, with the style's extension."""
    names = bureau_file_names(list(BUREAU_STYLES))
    return {
        bureau: (str(Path(names[bureau]).with_suffix(f".{STYLES[style].kind}")), style)
        for bureau, style in BUREAU_STYLES.items()
    }


BUREAU_FILES = bureau_files()

INSTRUCTIONS = (
    ("記入要領",),
    ("このシートは記入方法の説明です。取組の記録はシート「取組」に記入してください。",),
    (
        "達成度: 1 目標を大きく上回って達成 / 2 目標を上回って達成 / 3 ほぼ目標どおり / "
        "4 目標を下回った / 5 目標を大きく下回った（コードでも表記でも可）",
    ),
)


def bureau_rows(style: Style, items: list[Initiative]) -> list[list[str]]:
    """The table one bureau hands over, header first."""
    rows = [list(style.headers)]
    for item in items:
        values = [style.achievement[item.results[y]] for y in YEARS]
        rows.append(
            [
                item.initiative_id,
                style.goal(item.goal),
                style.direction(item.goal, item.direction),
                item.name,
                item.bureau,
                *values,
                item.reason,
                "公表資料" if item.from_summary else "仮称",
            ]
        )
    return rows


def csv_bytes(rows: list[list[str]], encoding: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(sheets: list[tuple[str, list[list[str]]]]) -> bytes:
    """An xlsx workbook whose bytes do not depend on when it was written."""
    # imported after kawaeval, which tells openpyxl not to use lxml (same bytes either way)
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append([value if value != "" else None for value in row])
    workbook.properties.creator = "kawaeval sample generator"
    return stable_xlsx_bytes(workbook, created=FIXED_TIME, zip_time=ZIP_TIME)


def initiative_files(items: list[Initiative]) -> dict[str, bytes]:
    by_bureau: dict[str, list[Initiative]] = {}
    for item in items:
        by_bureau.setdefault(item.bureau, []).append(item)
    files = {}
    for bureau, (file_name, style_key) in BUREAU_FILES.items():
        style = STYLES[style_key]
        rows = bureau_rows(style, by_bureau.pop(bureau))
        if style.kind == "csv":
            files[file_name] = csv_bytes(rows, style.encoding)
        else:
            sheets = [(title, [list(r) for r in INSTRUCTIONS]) for title in style.sheets_before]
            files[file_name] = xlsx_bytes([*sheets, ("取組", rows)])
    if by_bureau:
        raise SystemExit(f"bureaus without a file: {sorted(by_bureau)}")
    return files


# ---------------------------------------------------------------- supplements
JUDGEMENTS = [
    ("年度", "基本目標", "達成状況", "今後の方向性", "理由"),
    (
        "2021",
        "1",
        "B",
        "Ⅱ",
        "多摩川スカイブリッジの開通や、海外展開支援へのオンライン手法の導入などにより、取組は"
        "おおむね目標に沿って進んだ。取組の組み立てはおおむね有効であり、社会のデジタル化などの"
        "変化に合わせて続けていく。",
    ),
    (
        "2021",
        "2",
        "C",
        "Ⅱ",
        "感染症の拡大によりイベントの中止や旅行者の大幅な減少が起き、目標に届かない取組が増えた"
        "ため、進捗は遅れた。ただし感染拡大より前の年度はおおむね目標に沿っていたことから、取組の"
        "組み立て自体はおおむね有効と判断した。",
    ),
    (
        "2021",
        "3",
        "B",
        "Ⅱ",
        "多言語のワンストップ相談窓口の開設や人権尊重の条例制定などにより、取組はおおむね目標に"
        "沿って進んだ。取組の組み立てはおおむね有効であり、外国人市民の増加を見込んで続けていく。",
    ),
    (
        "2021",
        "全体",
        "B",
        "",
        "感染症の影響で目標に届かなかった取組はあったものの、オンラインを生かした新たな取組や"
        "多文化共生に向けた取組が前進し、めざすグローバル都市像に向けて一定の進捗があったと評価する。",
    ),
]

HIGHLIGHTS = [
    ("年度", "基本目標", "取組の方向性", "取組名", "主な実績"),
    (
        "2021",
        "1",
        "1",
        "羽田連絡道路整備事業",
        "羽田空港周辺と京浜臨海部を結ぶ「多摩川スカイブリッジ」が開通した",
    ),
    (
        "2021",
        "1",
        "2",
        "海外販路開拓事業",
        "コンテンツ産業の海外展開を後押しする補助制度を新たに設け、オンライン商談会を開いた",
    ),
    ("2021", "1", "3", "国際環境産業推進事業", "「川崎国際環境技術展」をオンライン形式で開催した"),
    (
        "2021",
        "2",
        "1",
        "地球温暖化対策の推進",
        "脱炭素戦略「かわさきカーボンゼロチャレンジ2050」をまとめ、地球温暖化対策の基本計画を見直した",
    ),
    (
        "2021",
        "2",
        "3",
        "インドネシア・バンドン市との都市間連携による低炭素都市形成支援",
        "バンドン市の河川管理に関するマスタープラン作りを支援した",
    ),
    (
        "2021",
        "2",
        "3",
        "上下水道分野における技術協力",
        "海外への専門家派遣と、研修生・視察者の受入れを進めた",
    ),
    (
        "2019",
        "3",
        "2",
        "国際交流センター等を活用した外国人相談の実施",
        "11言語で相談できる「多文化共生総合相談ワンストップセンター」を開いた",
    ),
    (
        "2021",
        "3",
        "2",
        "海外帰国・外国人児童生徒相談事業",
        "国際教室を設け、日本語指導の担当者が学校を巡回した",
    ),
    ("2019", "3", "3", "人権関連事業", "「川崎市差別のない人権尊重のまちづくり条例」を定めた"),
]

# Illustrative indicators: invented values, flagged illustrative=true.
# (goal, name, unit, better, baseline, [(target, actual) per program year])
INDICATORS = [
    (
        1,
        "海外展開支援による商談件数（例示）",
        "件",
        "高いほど良い",
        "150",
        [("160", "172"), ("170", "181"), ("180", "158"), ("190", "196")],
    ),
    (
        2,
        "市内宿泊施設の外国人延べ宿泊者数（例示）",
        "千人泊",
        "高いほど良い",
        "300",
        [("320", "335"), ("340", "352"), ("360", "41"), ("380", "28")],
    ),
    (
        2,
        "市域の温室効果ガス排出量（例示）",
        "万t-CO2",
        "低いほど良い",
        "2400",
        [("2300", "2280"), ("2250", "2240"), ("2200", "2150"), ("2150", "")],
    ),
    (
        3,
        "多文化共生総合相談ワンストップセンターの相談件数（例示）",
        "件",
        "高いほど良い",
        "0",
        [("", ""), ("1500", "1620"), ("3000", "3540"), ("3200", "3950")],
    ),
    (
        3,
        "差別的な言動を見聞きしたと答えた市民の割合（例示）",
        "%",
        "低いほど良い",
        "30.0",
        [("28.0", "27.5"), ("26.0", "26.4"), ("24.0", "23.8"), ("22.0", "22.0")],
    ),
]


def indicator_rows() -> list[tuple[str, ...]]:
    rows = [
        (
            "基本目標",
            "指標名",
            "単位",
            "望ましい方向",
            "基準値",
            "年度",
            "目標値",
            "実績値",
            "illustrative",
        )
    ]
    for goal, name, unit, better, baseline, values in INDICATORS:
        for year, (target, actual) in zip(YEARS, values, strict=True):
            rows.append(
                (str(goal), name, unit, better, baseline, str(year), target, actual, "true")
            )
    return rows


README = """\
# data/raw/ — サンプルの取組記録（sample records）

**These are not the city's records.** They were reconstructed by
`scripts/make_sample_records.py` (fixed seed {seed}; rerun it to get byte-identical files) so
that a report built from them reproduces every figure and grade the city published in its
summary of the evaluation (`../shared/reference/published_figures.json`): 109 initiatives
(goal 1: 16, goal 2: 34, goal 3: 59), FY2021 results 1 / 87 / 21 (0.9% / 79.8% / 19.3%), each
goal's "約N割" shares for FY2018–19 and FY2020–21, and the grades B/C/B and Ⅱ/Ⅱ/Ⅱ. The
per-initiative histories behind those aggregates are invented. **Replace these files with the
city's records** (and delete the illustrative indicators) before publishing anything.

## Initiative files (one per bureau)

{files}

The files deliberately use different spellings the data contract allows (xlsx and CSV in
CP932, UTF-8 with BOM and UTF-8; 西暦 / 和暦 / FY / H30–R3 year headers; 3-level labels and the
city's 5-level codes and labels; goal and direction written as numbers, full-width numbers,
Roman numerals, `基本目標１`, `方向性2` or `１－２`), so the default run exercises the reader.

- Names: only the initiatives the published summary names carry real names
  (column `名称の出典` = `公表資料`); every other name is a placeholder such as
  `取組1-2-05（仮称・サンプル）` (`名称の出典` = `仮称`). Bureaus of placeholders are invented.
- Below-target reasons (`主な理由` / `理由` / `下回った理由`): FY2020–21 shortfalls mostly
  carry COVID-19 wording, as the summary explains; a few carry other, invented reasons.

## Optional inputs

- `judgements.csv` — the committee's FY2021 grades per goal and overall, with reasons written
  in our own words from the summary's explanation (not the city's text).
- `highlights.csv` — main results per goal, from the facts the summary states, in our words.
- `indicators.csv` — reference indicators (参考指標). **All values are illustrative**
  (column `illustrative` = `true`, names end in `（例示）`): the summary publishes no
  indicator figures. They exist to show how indicators appear in the report.

- `notice.txt` — one line shown at the top of every report page, saying that the records are
  this reconstruction. Delete it together with the sample records.

Each bureau's file is named as `kawaeval template --by-bureau` names the workbook it sends that
bureau (`取組_<局>.xlsx`): a returned workbook replaces the file of the same name. Where the
sample's file is a CSV (`取組_<局>.csv`), delete the CSV when the bureau's workbook comes back;
kept beside it, kawaeval stops and names both files.

Formats of these files: `docs/data-dictionary.md`.
"""

NOTICE = (
    "このレポートの取組記録は、市が公表した評価の概要の数値・評価に合うように再構成したサンプル"
    "です。個々の取組の名称（仮称）、年度ごとの達成度、参考指標（例示）は実際のものではありません。\n"
)


def readme(files: dict[str, bytes]) -> bytes:
    listing = []
    for bureau, (file_name, style_key) in BUREAU_FILES.items():
        style = STYLES[style_key]
        fmt = "xlsx (sheet 取組)" if style.kind == "xlsx" else f"CSV {style.encoding}"
        listing.append(f"- `{file_name}` — {bureau}; {fmt}")
    return README.format(seed=SEED, files="\n".join(listing)).encode("utf-8")


def sample_files() -> dict[str, bytes]:
    """Every file of the sample raw folder, by name."""
    files = initiative_files(build_initiatives())
    files["judgements.csv"] = csv_bytes([list(r) for r in JUDGEMENTS], "utf-8-sig")
    files["highlights.csv"] = csv_bytes([list(r) for r in HIGHLIGHTS], "utf-8-sig")
    files["indicators.csv"] = csv_bytes([list(r) for r in indicator_rows()], "utf-8-sig")
    files["notice.txt"] = NOTICE.encode("utf-8")
    files["README.md"] = readme(files)
    return files


def write_sample(out_dir: Path) -> list[Path]:
    """Write the sample raw folder into ``out_dir``; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in sorted(sample_files().items()):
        path = out_dir / name
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="default: data/raw/")
    args = parser.parse_args(argv)
    for path in write_sample(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
