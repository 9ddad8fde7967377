"""vajra's HdrHistogram interval logs are the standard format: read by the `hdrh` package
(HdrHistogram's Python port, PyPI `hdrhistogram`) and, the other way round, a log written by
`hdrh` is read by `vajra report`.

Needs the vajra binary: $VAJRA_BIN, or target/debug/vajra of this workspace.
"""

import json
import os
import pathlib
import subprocess

import pytest
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader, HistogramLogWriter

ROOT = pathlib.Path(__file__).resolve().parents[3]
VAJRA = os.environ.get("VAJRA_BIN", str(ROOT / "target" / "debug" / "vajra"))

# Values in µs; 3 significant digits like vajra's histograms.
LOWEST, HIGHEST, DIGITS = 1, 3_600_000_000, 3


def close(a, b):
    """Equal within HdrHistogram's precision (0.1 %, plus one µs in ms units)."""
    return abs(a - b) <= max(a, b) * 0.002 + 0.001


def read_log(path):
    """Every interval of the log: untagged ones added into one histogram, tagged ones per tag."""
    reader = HistogramLogReader(str(path), HdrHistogram(LOWEST, HIGHEST, DIGITS))
    total = HdrHistogram(LOWEST, HIGHEST, DIGITS)
    tags = {}
    intervals = 0
    while True:
        interval = reader.get_next_interval_histogram()
        if interval is None:
            break
        intervals += 1
        tag = interval.get_tag()
        into = tags.setdefault(tag, HdrHistogram(LOWEST, HIGHEST, DIGITS)) if tag else total
        into.add(interval)
    return intervals, total, tags


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    plan = out / "plan.yaml"
    plan.write_text(
        "target: embedded\n"
        "requests:\n"
        "  - label: fast one\n"
        "    url: /fast\n"
        "  - label: slow\n"
        "    url: /slow?ms=15\n"
        "load: { pattern: static, tps: 50, duration: 3s }\n"
    )
    hlog = out / "run.hlog"
    # --out must be a new or empty directory; the plan lives beside it.
    results = out / "results"
    subprocess.run(
        [VAJRA, "run", str(plan), "-q", "--out", str(results), "--hdr-log", str(hlog)],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=60,
    )
    summary = json.loads((results / "summary.json").read_text())
    return hlog, summary


def test_hdrh_reads_our_log_and_agrees_with_the_summary(run):
    hlog, summary = run
    intervals, total, tags = read_log(hlog)
    assert intervals >= 3 * 3, "one untagged and one tagged interval per label, each second"
    assert total.get_total_count() == summary["total"]["samples"] == 300
    rt = summary["total"]["response_time_ms"]
    for name, percentile in [("median", 50), ("p90", 90), ("p95", 95), ("p99", 99)]:
        ours = rt[name]
        theirs = total.get_value_at_percentile(percentile) / 1000.0
        assert close(ours, theirs), f"{name}: summary {ours} ms, hdrh {theirs} ms"
    assert close(rt["max"], total.get_max_value() / 1000.0)


def test_tags_are_the_labels(run):
    hlog, summary = run
    _, _, tags = read_log(hlog)
    # Tags may not contain spaces, so vajra percent-encodes them.
    assert sorted(tags) == ["fast%20one", "slow"]
    by_label = {label["label"]: label for label in summary["labels"]}
    for tag, label in [("fast%20one", "fast one"), ("slow", "slow")]:
        assert tags[tag].get_total_count() == by_label[label]["samples"] == 150
        p95 = by_label[label]["response_time_ms"]["p95"]
        assert close(p95, tags[tag].get_value_at_percentile(95) / 1000.0)


def test_vajra_reports_a_log_written_by_hdrh(tmp_path):
    path = tmp_path / "from-hdrh.hlog"
    values = list(range(1000, 1_001_000, 1000))  # 1 … 1000 ms, in µs
    with open(path, "w") as f:
        writer = HistogramLogWriter(f)
        writer.output_log_format_version()
        writer.output_legend()
        for second in range(4):
            histogram = HdrHistogram(LOWEST, HIGHEST, DIGITS)
            for value in values[second::4]:
                histogram.record_value(value)
            start = 1_700_000_000.0 + second
            writer.output_interval_histogram(histogram, start, start + 1.0)
    everything = HdrHistogram(LOWEST, HIGHEST, DIGITS)
    for value in values:
        everything.record_value(value)

    done = subprocess.run(
        [VAJRA, "report", "--format", "json", str(path)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    report = json.loads(done.stdout)
    total = report["aggregate"][0]
    assert total["labelId"] == "ALL"
    assert total["samples"] == 1000
    for field, percentile in [("medianResponseTime", 50), ("90line", 90), ("99line", 99)]:
        theirs = everything.get_value_at_percentile(percentile) / 1000.0
        assert close(total[field], theirs), f"{field}: vajra {total[field]}, hdrh {theirs}"
    assert [point["samples"] for point in report["timeline"]] == [250] * 4
