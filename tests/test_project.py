"""The project folder: options, then KAWAEVAL_HOME, then the current folder; ``kawaeval init``;
and kawaeval's own files found as package data."""

import json

import pytest
from conftest import REPO

from kawaeval import cli, paths
from kawaeval.build.exporting import display_path
from kawaeval.exceptions import ProjectExistsError
from kawaeval.paths import (
    BUNDLED_PLAN,
    NOTEBOOKS_DIR,
    PACKAGE_DIR,
    SAMPLE_RAW_DIR,
    TEMPLATES_DIR,
    project_home,
)
from kawaeval.project import init_project

SAMPLE = sorted(p.name for p in (REPO / "data" / "raw").iterdir())


def _project(folder):
    init_project(folder)
    return folder


# ---------------------------------------------------------------- where the project is


def test_the_project_is_kawaeval_home_else_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KAWAEVAL_HOME", str(tmp_path / "home"))
    assert project_home() == tmp_path / "home"
    assert paths.default_raw_dir() == tmp_path / "home" / "data" / "raw"
    assert paths.default_processed_dir() == tmp_path / "home" / "data" / "processed"
    assert paths.default_reports_dir() == tmp_path / "home" / "reports"
    monkeypatch.setenv("KAWAEVAL_HOME", "")  # set but empty: as if unset
    monkeypatch.chdir(tmp_path)
    assert project_home() == tmp_path
    monkeypatch.delenv("KAWAEVAL_HOME")
    assert paths.default_reports_dir() == tmp_path / "reports"


def test_clean_reads_and_writes_the_project_of_the_current_folder(tmp_path, monkeypatch):
    here = _project(tmp_path / "here")
    monkeypatch.delenv("KAWAEVAL_HOME")
    monkeypatch.chdir(here)
    assert cli.main(["clean"]) == 0
    manifest = json.loads((here / "data" / "processed" / "manifest.json").read_text("utf-8"))
    assert manifest["totals"]["accepted_rows"] == 109  # one row per initiative
    assert manifest["plan"]["file"] == "plan.toml"  # the project's own plan.toml


def test_kawaeval_home_beats_the_current_folder_and_options_beat_both(
    tmp_path, monkeypatch, capsys
):
    home, elsewhere = _project(tmp_path / "home"), tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("KAWAEVAL_HOME", str(home))
    assert cli.main(["clean"]) == 0
    assert (home / "data" / "processed" / "tidy.parquet").is_file()
    assert list(elsewhere.iterdir()) == []
    out = tmp_path / "out"
    assert cli.main(["clean", "--raw", str(SAMPLE_RAW_DIR), "--out", str(out)]) == 0
    assert (out / "tidy.parquet").is_file()
    assert capsys.readouterr().err.endswith(f"-> {out}\n")


def test_a_folder_that_is_no_project_says_how_to_choose_one(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KAWAEVAL_HOME")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["assess", "--fiscal-year", "2021", "--json"]) == 1
    raw = tmp_path / "data" / "raw"
    assert capsys.readouterr().err == (
        f"kawaeval assess: error: raw: フォルダ {raw} がありません (raw folder not found). "
        "initiatives*.csv|xlsx|xlsm|xls|ods / 取組*.csv|xlsx|xlsm|xls|ods "
        "を置いたフォルダを --raw で指定するか、data/raw/ のある"
        "プロジェクトのフォルダで実行するか、そのフォルダを"
        " KAWAEVAL_HOME に設定してください。新しいプロジェクトは kawaeval init DIR で作れます\n"
    )


def test_the_old_fixed_paths_say_what_replaced_them():
    with pytest.raises(AttributeError, match=r"RAW_DIR is gone: .*default_raw_dir\(\)"):
        paths.RAW_DIR  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'NOWHERE'"):
        paths.NOWHERE  # noqa: B018


# ---------------------------------------------------------------- kawaeval's own files


def test_package_data_is_inside_the_package_or_beside_it_in_a_checkout():
    assert BUNDLED_PLAN == PACKAGE_DIR / "data" / "plan.toml" and BUNDLED_PLAN.is_file()
    assert (TEMPLATES_DIR / "kawaeval" / "index.html.j2").is_file()
    # this checkout: the folders the wheel maps into kawaeval/ are the repository's own
    assert NOTEBOOKS_DIR == REPO / "notebooks"
    assert SAMPLE_RAW_DIR == REPO / "data" / "raw"
    assert (NOTEBOOKS_DIR / "05_goal.ipynb").is_file()


def test_an_installed_package_finds_them_inside_itself(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "PACKAGE_DIR", tmp_path / "kawaeval")
    monkeypatch.setattr(paths, "SOURCE_ROOT", tmp_path)
    assert paths._package_data("notebooks", "notebooks") == tmp_path / "notebooks"
    (tmp_path / "kawaeval" / "notebooks").mkdir(parents=True)
    assert paths._package_data("notebooks", "notebooks") == tmp_path / "kawaeval" / "notebooks"


def test_reports_name_a_chapter_notebooks_as_notebooks_wherever_they_are(tmp_path, monkeypatch):
    monkeypatch.setenv("KAWAEVAL_HOME", str(tmp_path))
    assert display_path(NOTEBOOKS_DIR / "01_plan.ipynb") == "notebooks/01_plan.ipynb"
    assert display_path(tmp_path / "data" / "raw") == "data/raw"
    assert display_path(REPO / "docs" / "examples" / "midori-machi") == "midori-machi"


# ---------------------------------------------------------------- kawaeval init


def test_init_copies_the_sample_records_and_a_plan_to_edit(tmp_path, capsys):
    project = tmp_path / "city"
    assert cli.main(["init", str(project)]) == 0
    raw = project / "data" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted([*SAMPLE, "plan.toml"])
    for name in SAMPLE:
        assert (raw / name).read_bytes() == (REPO / "data" / "raw" / name).read_bytes()
    assert (raw / "plan.toml").read_bytes() == BUNDLED_PLAN.read_bytes()
    assert [p.name for p in project.iterdir()] == ["data"]
    assert [p.name for p in tmp_path.iterdir()] == ["city"]  # no staging folder left
    err = capsys.readouterr().err
    assert f"wrote {len(SAMPLE) + 1} files to {raw}" in err
    assert f"next: cd {project} && kawaeval build --fiscal-year 2021" in err


def test_a_new_project_assesses_fy2021_as_the_city_published(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(_project(tmp_path / "city"))
    monkeypatch.delenv("KAWAEVAL_HOME")
    assert cli.main(["assess", "--fiscal-year", "2021", "--json"]) == 0
    program = json.loads(capsys.readouterr().out)["program"]
    assert program["counts"] == {**program["counts"], "exceeded": 1, "on_target": 87, "below": 21}
    assert program["shares_pct"]["on_target"] == 79.8


def test_init_into_an_empty_folder_works_and_into_a_used_one_changes_nothing(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    init_project(tmp_path / "empty")
    assert (tmp_path / "empty" / "data" / "raw" / "plan.toml").is_file()

    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ProjectExistsError):
        init_project(used)
    assert cli.main(["init", str(used)]) == 2
    assert capsys.readouterr().err == (
        f"kawaeval init: error: フォルダ {used} は空ではありません (folder is not empty). "
        "kawaeval init は新しいフォルダにプロジェクトを作ります。別のフォルダを指定してください\n"
    )
    assert [p.name for p in used.iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "used"]
