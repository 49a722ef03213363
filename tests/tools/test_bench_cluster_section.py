"""bench/RESULTS.md keeps the cluster's section apart: bench/cluster_catalog.py replaces only its own section, and
the full bench run, which rewrites the file, carries that section over as it was."""

from __future__ import annotations

from pathlib import Path

from bench.cluster_catalog import HEADING, kept_section, write


def test_the_cluster_section_replaces_only_itself_and_is_found_again(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n## Throughput\n\nrow\n\n## Commands\n\n- one\n")
    assert kept_section(results) == ""
    write(f"{HEADING}\n\nfirst\n\n", results)
    assert results.read_text().endswith(f"{HEADING}\n\nfirst\n\n")
    write(f"{HEADING}\n\nsecond\n\n", results)
    text = results.read_text()
    assert "first" not in text and text.count(HEADING) == 1
    assert text.startswith("# Benchmark results\n\n## Throughput\n\nrow\n\n## Commands\n\n- one\n")
    assert kept_section(results) == f"{HEADING}\n\nsecond\n\n"


def test_a_section_between_others_is_replaced_in_place(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(f"# B\n\n## A\n\na\n\n{HEADING}\n\nold\n\n## C\n\nc\n")
    write(f"{HEADING}\n\nnew\n\n", results)
    assert results.read_text() == f"# B\n\n## A\n\na\n\n{HEADING}\n\nnew\n\n## C\n\nc\n"
