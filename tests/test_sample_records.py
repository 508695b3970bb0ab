"""The sample records are reproducible: the generator is deterministic and matches data/raw/."""

from __future__ import annotations

import csv
import importlib.util
import io
import sys

import pytest
from conftest import REPO

SCRIPT = REPO / "scripts" / "make_sample_records.py"


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("make_sample_records", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.fixture(scope="module")
def generated(generator, tmp_path_factory):
    first = tmp_path_factory.mktemp("first")
    second = tmp_path_factory.mktemp("second")
    generator.main(["--out", str(first)])
    generator.main(["--out", str(second)])
    return first, second


def files_of(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_generator_writes_the_same_bytes_twice(generated):
    first, second = generated
    assert files_of(first) == files_of(second)


def test_committed_sample_equals_the_generator_output(generated):
    first, _ = generated
    committed = files_of(REPO / "data" / "raw")
    assert sorted(committed) == sorted(files_of(first))
    for name, data in files_of(first).items():
        assert committed[name] == data, f"data/raw/{name} differs from the generator's output"


def test_sample_uses_several_shapes(generated):
    names = sorted(files_of(generated[0]))
    assert any(n.endswith(".xlsx") for n in names)
    assert any(n.startswith("取組") for n in names)
    cp932 = (generated[0] / "取組_市民文化局.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        cp932.decode("utf-8")
    header = next(csv.reader(io.StringIO(cp932.decode("cp932"))))
    assert header[5:9] == ["平成30年度", "令和元年度", "令和2年度", "令和3年度"]


def test_only_names_from_the_summary_are_real(generator):
    for item in generator.build_initiatives():
        if item.from_summary:
            assert "仮称" not in item.name
        else:
            assert item.name == f"取組{item.initiative_id}（仮称・サンプル）"
    assert sum(i.from_summary for i in generator.build_initiatives()) == len(generator.NAMED)


def test_readme_states_the_provenance():
    text = (REPO / "data" / "raw" / "README.md").read_text(encoding="utf-8")
    assert "These are not the city's records" in text
    assert "Replace these files with the\ncity's records" in text
    assert "illustrative" in text
