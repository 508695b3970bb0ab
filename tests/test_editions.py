"""The registry of editions (kawaeval.report.editions): which options ask for which files."""

from __future__ import annotations

import pytest

from kawaeval.exceptions import DocxUnavailableError, PdfUnavailableError
from kawaeval.report import editions


def test_every_edition_has_an_option_a_name_and_a_link_text(assessment):
    assert editions.OPTIONS == ("pdf", "docx")
    assert [(e.key, e.option) for e in editions.EDITIONS] == [("pdf", "pdf"), ("docx", "docx")]
    assert editions.downloads(assessment, ["docx", "pdf"]) == [
        ("報告書（PDF、印刷用）", "川崎市国際施策推進プラン_第２期実行プログラム_FY2021.pdf"),
        ("報告書（Word、意見照会用）", "川崎市国際施策推進プラン_第２期実行プログラム_FY2021.docx"),
    ]
    assert editions.downloads(assessment, []) == []


@pytest.mark.parametrize(
    ("requested", "previous", "expected"),
    [
        ({}, [], []),
        ({"pdf": True}, [], ["pdf"]),
        ({"pdf": None, "docx": None}, ["pdf"], ["pdf"]),  # not said: as the report had it
        ({"docx": True}, ["pdf"], ["pdf", "docx"]),  # asked for one more: both
        ({"pdf": False}, ["pdf", "docx"], ["docx"]),  # --no-pdf drops it, keeps the other
        ({"pdf": False, "docx": False}, ["pdf", "docx"], []),
        ({}, ["summary", "pdf"], ["pdf"]),  # an option no edition has any more is dropped
    ],
)
def test_options_stick_until_a_build_says_no(requested, previous, expected):
    assert editions.resolve_options(requested, previous) == expected


def test_an_edition_without_an_option_is_written_by_every_build(monkeypatch):
    always = editions.Edition("page", "概要", None, lambda a: "page.html", lambda *a: None)
    monkeypatch.setattr(editions, "EDITIONS", (always, *editions.EDITIONS))
    assert [e.key for e in editions.editions_for([])] == ["page"]
    assert [e.key for e in editions.editions_for(["docx"])] == ["page", "docx"]


def test_only_the_editions_asked_for_are_checked(monkeypatch):
    def missing():
        raise DocxUnavailableError("ImportError: no pypandoc")

    monkeypatch.setattr(
        editions,
        "EDITIONS",
        tuple(
            editions.Edition(**{**e.__dict__, "check_available": missing}) if e.key == "docx" else e
            for e in editions.EDITIONS
        ),
    )
    editions.check_available([])  # nothing asked for: nothing needed
    with pytest.raises(DocxUnavailableError) as caught:
        editions.check_available(["docx"])
    assert caught.value.exit_code == 2
    assert "pip install 'kawaeval[docx]'" in str(caught.value)


def test_unavailable_editions_say_what_to_install():
    for error, extra in ((PdfUnavailableError, "pdf"), (DocxUnavailableError, "docx")):
        message = str(error("ImportError: x"))
        assert f"pip install 'kawaeval[{extra}]'" in message and "make install" in message
