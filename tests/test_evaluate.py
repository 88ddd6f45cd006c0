"""The figures `make eval` reports: sealed sets pooled, with their 95% intervals."""
import pytest

from scripts.evaluate import pooled, render_patients, wilson


def test_wilson_interval_matches_the_textbook_values():
    # Agresti and Coull (1998): 8 of 10 gives 0.490-0.943 at 95%.
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.490, abs=0.001) and high == pytest.approx(0.943, abs=0.001)
    low, high = wilson(52, 60)  # a sealed set's follow-up turns: far too few to tell 0.87 from 0.90
    assert low < 0.80 and high > 0.92
    assert wilson(0, 0) == (0.0, 1.0) and wilson(5, 5)[1] == 1.0


def sets():
    item = {"text": "t", "got": {}}
    return {
        "development": {"followup": (0.5, [item], 2)},
        "sealed": {"followup": (0.75, [item], 4), "wrong_answers": (0.25, [item], 4)},
        "sealed 2": {"followup": (1.0, [], 6), "wrong_answers": (0.0, [], 6)},
    }


def test_pooled_counts_every_sealed_set_and_no_development_set():
    together = pooled(sets())
    assert together["followup"] == (0.9, 9, 10)  # 3 of 4 and 6 of 6; the development set's miss is left out
    assert together["wrong_answers"] == (0.1, 1, 10)  # a rate of failures: lower is better


def test_the_report_has_a_pooled_column_with_its_interval():
    lines = render_patients(sets())
    row = next(line for line in lines if line.startswith("| follow-up turns in conversations"))
    low, high = wilson(9, 10)
    assert f"0.900 (10) [{low:.3f}-{high:.3f}]" in row
    assert "all sealed sets" in next(line for line in lines if line.startswith("| figure"))
