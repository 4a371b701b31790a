"""report.html and the units of the experiment report: structure, round trip to the results files, plots."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.datasets import dataset_info
from tsforecast.experiment import plots, run_experiment
from tsforecast.experiment.html_report import render_html
from tsforecast.experiment.report import (
    format_quantity,
    format_table,
    origins_note,
    origins_per_lead,
    series_unit,
    unit_scale,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SI = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}

TINY = {
    "name": "tiny_html",
    "seed": 3,
    "dataset": "traffic_synthetic",
    "baseline": "naive",
    "protocol": {"train_fraction": 0.8, "horizon": 6, "step": 12, "metrics": ["mae", "rmse", "mape", "smape", "mase"],
                 "headline": "mae", "coverage": 0.8, "seasonal_period": 24},
    "models": {"naive": {"model": "naive"}, "snaive": {"model": "seasonal_naive", "m": 24},
               "ar": {"model": "ar", "lags": 24}},
}


class ReportParser(HTMLParser):
    """Collects what the tests check: images, tables (header texts, cell texts and data-value), headings,
    paragraphs and list items, in document order, plus every URL-like attribute."""

    def __init__(self):
        super().__init__()
        self.events, self.tables, self.urls = [], [], []
        self._text, self._tag, self._row, self._cell = None, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls += [v for k, v in attrs.items() if k in ("src", "href", "action", "data") and v]
        if tag == "img":
            self.events.append(("img", attrs.get("src", ""), attrs.get("alt")))
        elif tag == "table":
            self.tables.append({"header": [], "rows": [], "pos": len(self.events)})
            self.events.append(("table", len(self.tables) - 1))
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td"):
            self._cell = {"text": "", "value": attrs.get("data-value"), "tag": tag}
        elif tag in ("h1", "h2", "h3", "p", "li"):
            self._tag, self._text = tag, ""

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            table = self.tables[-1]
            if all(c["tag"] == "th" for c in self._row):
                table["header"].append([c["text"] for c in self._row])
            else:
                table["rows"].append(self._row)
            self._row = None
        elif tag == self._tag:
            self.events.append((tag, self._text.strip()))
            self._tag = self._text = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data
        if self._text is not None:
            self._text += data


def _parse(text: str) -> ReportParser:
    parser = ReportParser()
    parser.feed(text)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    result = run_experiment(TINY, results_dir=tmp_path_factory.mktemp("html"), progress=False)
    return result, _parse((result.path / "report.html").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def two_datasets(tmp_path_factory):
    """Two runs (catalogue data with a unit, a user file without) and a parameter search."""
    root = tmp_path_factory.mktemp("html2")
    rng = np.random.default_rng(0)
    t = np.arange(300)
    pd.DataFrame({"timestamp": pd.date_range("2024-01-01", periods=300, freq="h"),
                  "value": 100 + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, 300)}).to_csv(root / "mine.csv",
                                                                                                 index=False)
    cfg = {"name": "two", "seed": 0, "baseline": "naive", "protocol": {"horizon": 3, "step": 5, "metrics": ["mae", "mape"]},
           "datasets": {"syn": {"dataset": "traffic_synthetic", "protocol": {"train_fraction": 0.9}},
                        "mine": {"dataset": str(root / "mine.csv"), "protocol": {"initial": 240}}},
           "models": {"naive": {"model": "naive"},
                      "snaive": {"model": "seasonal_naive", "m": 12, "search": {"m": [5, 12]}}}}
    result = run_experiment(cfg, results_dir=root / "out", progress=False)
    return result, _parse((result.path / "report.html").read_text(encoding="utf-8"))


def _images(parser):
    return [e for e in parser.events if e[0] == "img"]


@pytest.mark.parametrize("which", ["tiny", "two_datasets"])
def test_every_png_is_embedded_once_and_decodes(which, request):
    result, parser = request.getfixturevalue(which)
    pngs = {p.name: p.read_bytes() for p in result.path.glob("*.png")}
    assert len(pngs) >= 2
    decoded = []
    for _, src, _alt in _images(parser):
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data[:8] == PNG_SIGNATURE
        decoded.append(data)
    assert len(decoded) == len(pngs)
    for name, data in pngs.items():
        assert decoded.count(data) == 1, name


def test_each_runs_figures_sit_in_its_section(two_datasets):
    _, parser = two_datasets
    section = None
    for event in parser.events:
        if event[0] == "h2":
            section = event[1]
        elif event[0] == "img":
            assert event[2].startswith(f"{section}_"), (event[2], section)


@pytest.mark.parametrize("which", ["tiny", "two_datasets"])
def test_tables_have_a_header_and_rectangular_rows(which, request):
    _, parser = request.getfixturevalue(which)
    assert parser.tables
    for table in parser.tables:
        assert len(table["header"]) == 1 and all(h.strip() for h in table["header"][0])
        assert table["rows"]
        assert {len(row) for row in table["rows"]} == {len(table["header"][0])}


def test_protocol_dm_and_search_sections(tiny, two_datasets):
    for result, parser in (tiny, two_datasets):
        texts = [e for e in parser.events if e[0] in ("h2", "h3", "li", "p")]
        labels = [e[1] for e in texts if e[0] == "h2" and e[1] not in ("Versions", "Files")]
        assert labels == [run.label for run in result.config.runs]
        protocol = [i for i, e in enumerate(texts) if e == ("h3", "Protocol")]
        assert len(protocol) == len(labels)
        for i in protocol:
            items = [e[1] for e in texts[i + 1:i + 9] if e[0] == "li"]
            assert [it.split(":")[0] for it in items[:4]] == ["Data", "Split", "Origins", "Refit"]
        assert any("Holm" in e[1] and e[0] == "p" for e in texts)
        for table in parser.tables[:len(labels)]:
            assert "dm_pvalue_holm" in table["header"][0]
    _, parser = two_datasets
    texts = [e[1] for e in parser.events if e[0] in ("h3", "li")]
    assert "Chosen inside the training part" in texts
    assert any("chose {'m': 12}" in t for t in texts)


def _column_scale(header: str):
    """Base column name and the factor its shown numbers are multiplied by (parsed independently of the code)."""
    match = re.fullmatch(r"(\w+) \(([kMGT]?)(bit/s|bits?)\)", header)
    return (match.group(1), SI[match.group(2)]) if match else (header, 1.0)


@pytest.mark.parametrize("which", ["tiny", "two_datasets"])
def test_main_tables_equal_the_results_files(which, request):
    result, parser = request.getfixturevalue(which)
    metrics = pd.read_csv(result.path / "metrics.csv")
    timings = pd.read_csv(result.path / "timings.csv")
    files = metrics.merge(timings, on=["dataset", "model"])
    for run, table in zip(result.config.runs, parser.tables):
        expected = files[files["dataset"] == run.label].set_index("model")
        columns = [_column_scale(h) for h in table["header"][0]]
        assert {name for name, _ in columns} == set(expected.columns) - {"dataset"} | {"model"}
        assert [r[0]["text"] for r in table["rows"]] == expected.sort_values("rank").index.tolist()
        for row in table["rows"]:
            truth = expected.loc[row[0]["text"]]
            for (name, factor), cell in zip(columns[1:], row[1:]):
                value = truth[name]
                if isinstance(value, str):
                    assert cell["text"] == value
                elif np.isnan(value):
                    assert cell["text"] == "" and cell["value"] == ""
                else:
                    assert float(cell["value"]) == value  # exact: the sort key keeps full precision
                    assert float(cell["text"]) * factor == pytest.approx(value, rel=5e-4)  # 4 significant digits


def test_units_on_the_tables(tiny, two_datasets):
    _, parser = tiny
    header = parser.tables[0]["header"][0]
    # traffic_synthetic is in bit/s with errors of tens of Mbit/s (metrics.csv: mae 6.9e7)
    assert {"mae (Mbit/s)", "rmse (Mbit/s)", "width (Mbit/s)", "mape", "smape", "mase"} <= set(header)
    _, parser = two_datasets
    assert "mae (Mbit/s)" in parser.tables[0]["header"][0]
    assert "mae" in parser.tables[1]["header"][0]  # a user file: no unit, plain numbers


@pytest.mark.parametrize("which", ["tiny", "two_datasets"])
def test_no_external_resources(which, request):
    result, parser = request.getfixturevalue(which)
    text = (result.path / "report.html").read_text(encoding="utf-8")
    assert parser.urls and all(u.startswith("data:") for u in parser.urls)
    assert not re.search(r"url\(|@import|<link|<script[^>]+src", text)


# -- units ------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, unit, text", [
    (4.66e7, "bit/s", "46.6 Mbit/s"),
    (2.5e9, "bit/s", "2.5 Gbit/s"),
    (999.0, "bit/s", "999 bit/s"),
    (1500.0, "bits per hour", "1.5 kbits per hour"),
    (3.2e12, "bytes", "3.2 Tbytes"),
    (4.66e7, "activity count per hour", "4.66e+07 activity count per hour"),  # no SI prefix for counts
    (12345.678, None, "1.235e+04"),  # unit-less: 4 significant digits
])
def test_format_quantity_by_hand(value, unit, text):
    assert format_quantity(value, unit) == text


def test_format_table_scales_each_unit_column_on_its_own():
    df = pd.DataFrame({"model": ["a", "b", "c"], "mae": [4.66e7, 9.1e7, 2.0e6], "rmse": [3.0e9, 5.5e9, 1.0e9],
                       "mape": [24.28, 34.8, 1.5], "mase": [1.212, 1.593, 0.5]})
    t = format_table(df, index=False, unit="bit/s")
    assert t.header == ["model", "mae (Mbit/s)", "rmse (Gbit/s)", "mape", "mase"]
    assert [row[1:] for row in t.cells] == [["46.6", "3", "24.28", "1.212"], ["91", "5.5", "34.8", "1.593"],
                                           ["2", "1", "1.5", "0.5"]]
    assert format_table(df, index=False).header == ["model", "mae", "rmse", "mape", "mase"]


def test_series_unit_from_the_cards():
    assert series_unit(dataset_info("traffic_synthetic")) == "bit/s"
    assert series_unit(dataset_info("cortez_a1h")) == "bits per hour"
    assert series_unit(dataset_info("milan_cells")) == "activity count per hour"
    assert series_unit(dataset_info("nasdaq"), "Close") == "index points"
    assert series_unit(dataset_info("nasdaq"), "Volume") == "shares"
    assert series_unit(dataset_info("nasdaq")) is None  # per-column units and no column: none
    assert series_unit(None) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(1e-3, 1e15), min_size=1, max_size=20), st.sampled_from(["bit/s", "bits per hour", "B"]))
def test_unit_scale_puts_the_median_in_one_to_a_thousand(values, unit):
    factor, label = unit_scale(values, unit)
    assert factor in SI.values() and label == {v: k for k, v in SI.items()}[factor] + unit
    median = np.median(values) / factor
    assert median < 1000 or factor == 1e12
    assert median >= 1 or factor == 1.0


# -- per-lead origin counts and plots ----------------------------------------------------------
def test_origins_per_lead_equal_a_brute_force_count(tiny):
    result, _ = tiny
    fc = pd.read_parquet(result.path / "forecasts.parquet")
    fc.loc[fc.index[::7], "y_pred"] = np.nan  # some forecasts missing: they must not be counted
    for columns in (("y_true", "y_pred"), ("y_true", "lower", "upper")):
        counts = origins_per_lead(fc, columns)
        brute = {}
        for row in fc.itertuples():
            if all(np.isfinite(getattr(row, c)) for c in columns):
                brute[(row.step, row.model)] = brute.get((row.step, row.model), 0) + 1
        assert counts.shape == (6, 3)
        for (step, model), n in counts.stack().items():
            assert n == brute.get((step, model), 0)
    # Intervals need past errors, so the earliest origins have none: fewer origins for coverage.
    full = pd.read_parquet(result.path / "forecasts.parquet")
    assert origins_note(origins_per_lead(full)) == f"n = {full['origin'].nunique()} origins per lead"
    cov = origins_per_lead(full, ("y_true", "lower", "upper"))
    n_cov = full.dropna(subset=["lower"])["origin"].nunique()
    assert 0 < n_cov < full["origin"].nunique() and origins_note(cov) == f"n = {n_cov} origins per lead"
    assert origins_note(pd.DataFrame({"a": [3, 5]})) == "n = 3–5 origins per lead"


@pytest.mark.parametrize("freq, label", [
    ("h", "lead time (hours ahead)"), ("D", "lead time (days ahead)"), ("W-SUN", "lead time (weeks ahead)"),
    ("5min", "lead time (steps ahead, 1 step = 5 minutes)"), (None, "lead time (steps ahead)"),
])
def test_lead_axis_label(freq, label):
    assert plots.lead_axis_label(freq) == label


@pytest.fixture
def drawn(monkeypatch):
    """The figures the plot functions make, kept open instead of written."""
    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig))
    yield figures
    import matplotlib.pyplot as plt

    for fig in figures:
        plt.close(fig)


def _legend_is_right_of_the_axes(fig, ax):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return ax.get_legend().get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1


def test_forecast_plot_labels_units_and_legend_off_the_data(tiny, drawn):
    from tsforecast.datasets import load_dataset

    result, _ = tiny
    y = load_dataset("traffic_synthetic").data
    fc = pd.read_parquet(result.path / "forecasts.parquet")
    plots.plot_forecasts(y, fc, ["ar", "naive"], 6, "unused.png", "t", unit="bit/s", level=0.8)
    (fig,) = drawn
    axes = fig.axes
    for ax in axes:
        assert ax.get_ylabel() == "traffic_synthetic (Mbit/s)"
        assert _legend_is_right_of_the_axes(fig, ax)
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["actual", "forecast", "80% interval"]
        actual = ax.get_lines()[0].get_ydata()
        assert np.allclose(actual * 1e6, y.iloc[-len(actual):].to_numpy())  # drawn in Mbit/s
    assert axes[-1].get_xlabel() == "time"


def test_by_lead_plot_labels_units_counts_and_legend_off_the_data(drawn):
    steps = pd.Index([1, 2, 3], name="step")
    values = {"a": pd.Series([4.0e7, 5.0e7, 6.0e7], index=steps), "b": pd.Series([3.0e7, 4.5e7, 8.0e7], index=steps)}
    plots.plot_by_lead(values, "mae", "unused.png", "t", unit="bit/s", xlabel=plots.lead_axis_label("h"),
                       note="n = 22 origins per lead")
    plots.plot_by_lead({"a": pd.Series([0.7, 0.8, 0.9], index=steps)}, "coverage", "unused.png", "t", nominal=0.9)
    (fig, fig2) = drawn
    ax = fig.axes[0]
    assert ax.get_ylabel() == "mae (Mbit/s)" and ax.get_xlabel() == "lead time (hours ahead)"
    assert ax.get_title() == "t\nn = 22 origins per lead"
    assert np.allclose(ax.get_lines()[0].get_ydata(), [40, 50, 60])
    assert _legend_is_right_of_the_axes(fig, ax)
    ax2 = fig2.axes[0]
    assert "nominal 90%" in [t.get_text() for t in ax2.get_legend().get_texts()]
    assert _legend_is_right_of_the_axes(fig2, ax2)


# -- the page in a real browser ----------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (Debian package 'chromium')")
def test_headers_sort_numerically_in_a_browser(tmp_path):
    """Click a header in headless Chromium: numbers sort as numbers (9 < 10 < 100), blanks last, text as text."""
    df = pd.DataFrame({"model": ["b", "a", "c", "d"], "mae": [10.0, 9.0, 100.0, np.nan]})
    page = render_html([("table", format_table(df, index=False))], title="t")
    probe = """<script>
    function order() { return Array.prototype.map.call(document.querySelectorAll("tbody tr"),
                                                       function (r) { return r.cells[0].textContent; }).join(""); }
    var th = document.querySelectorAll("th"), out = [];
    th[1].click(); out.push(order()); th[1].click(); out.push(order()); th[0].click(); out.push(order());
    document.body.setAttribute("data-order", out.join(","));
    </script>"""
    (tmp_path / "t.html").write_text(page.replace("</body>", probe + "</body>"), encoding="utf-8")
    done = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                           (tmp_path / "t.html").as_uri()], capture_output=True, text=True, timeout=120)
    match = re.search(r'data-order="([^"]*)"', done.stdout)
    assert match, done.stderr[-2000:]
    assert match.group(1) == "abcd,cbad,abcd"


def test_frequency_is_inferred_from_regular_timestamps():
    from tsforecast.experiment.outputs import _frequency

    stamps = pd.date_range("2024-01-01", periods=10, freq="h")
    assert _frequency(stamps) == "h"
    assert _frequency(pd.DatetimeIndex(list(stamps))) == "h"  # no freq set (as loaded from a long file)
    assert _frequency(stamps[[0, 1, 3, 4, 7]]) is None  # irregular: no step length to state
    assert _frequency(pd.RangeIndex(10)) is None


def test_one_step_forecasts_are_drawn_as_one_visible_path(drawn):
    index = pd.date_range("2024-01-01", periods=100, freq="h")
    y = pd.Series(np.arange(100.0), index=index, name="y")
    origins = index[59:99]  # origin = the last observed point; each forecasts the next step
    fc = pd.DataFrame({"origin": origins, "step": 1, "timestamp": origins + index.freq, "y_true": 0.0,
                       "y_pred": np.arange(60.0, 100.0) + 0.5, "model": "m"})
    plots.plot_forecasts(y, fc, ["m"], 1, "unused.png", "t")
    (fig,) = drawn
    red = [line for line in fig.axes[0].get_lines() if line.get_label() == "forecast"]
    assert len(red) == 1 and len(red[0].get_xdata()) == len(origins)  # every origin of the span, joined
