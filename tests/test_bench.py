"""Smoke test of `make bench`: the quick run starts, measures each contender and writes its report."""
import pytest

from scripts import bench

pytestmark = pytest.mark.servers


def test_the_search_contender_finds_the_obvious_passage():
    index = bench.SearchIndex()
    [_, reply] = index.reply("how often must botox treatments occur to be effective")
    assert reply["custom"]["citations"][0]["passage_id"] == "cd-06891f"


def test_make_bench_quick_writes_its_report(tmp_path):
    assert bench.main(["--quick", "--out", str(tmp_path)]) == 0
    report = (tmp_path / "BENCHMARKS.md").read_text()
    assert "this project (config.yml)" in report and "TF-IDF search over passages" in report
    assert (tmp_path / "docs" / "benchmarks.png").stat().st_size > 1000
