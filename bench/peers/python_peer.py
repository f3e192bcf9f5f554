#!/usr/bin/env python3
"""The Python reference stack as a benchmark peer (bench/peers/python.ts runs it).

    python_peer.py --input FILE.ndjson --category summary|anomaly|changepoint|trend|all
                   [--half-window 30] [--threshold 4] [--min-size 2] [--jump 1]
                   [--penalty P] [--no-clean] [--alpha 0.05]

Reads an NDJSON batch (json.loads per line, grouped by series in first-appearance order,
stable sort by ts), then runs, series by series, what a Python team would write:

* summary: numpy (min, max, mean, std, np.percentile 50/90/95/99);
* anomaly: a Hampel filter, with pandas `rolling(2k+1, center=True, min_periods=1)`
  median and `.apply(mad, raw=True)` when pandas is importable, else numpy
  `sliding_window_view` over the NaN-padded series with `nanmedian` (same truncated windows);
* changepoint: `ruptures.Pelt(model="l2", min_size, jump).fit(x).predict(pen)` on the series
  with its anomalies replaced by their window median (the cleaning is timed apart, as
  `cleanSeconds`), default penalty `3 s^2 ln n` as SPEC 3;
* trend: `pymannkendall.original_test(x, alpha)`.

Prints JSON lines on stdout, flushed as they happen, so that a caller that stops it at a
deadline keeps what finished: first `{"event": "ready", ...}` (versions, Hampel flavour, parse
time), then one `{"event": "category", "category", "seconds", "conclusions"}` per category
(wall time of the analysis loop only: no interpreter start-up, imports or parsing), then
`{"event": "done", "seconds"}`.
"""

import argparse
import json
import math
import platform
import sys
import time
from datetime import datetime, timezone

import numpy as np
import pymannkendall as mk
import ruptures as rpt

try:
    import pandas as pd
except ImportError:  # the numpy flavour of the Hampel filter is used instead
    pd = None

MAD_SCALE = 1.482602218505602
CATEGORIES = ["summary", "anomaly", "changepoint", "trend"]


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def to_ts(raw):
    if isinstance(raw, (int, float)):
        return float(raw)
    # ISO-8601 (Python >= 3.11 reads 'Z'); no offset means UTC, as in the engine.
    dt = datetime.fromisoformat(raw)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp() * 1000.0


def parse(path):
    groups = {}
    with open(path, "r", encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                p = json.loads(line)
                ts, value = to_ts(p["ts"]), p["value"]
                series = p["series"]
            except (ValueError, KeyError, TypeError) as e:
                raise SystemExit(f"python_peer: {path} line {number}: {e}")
            g = groups.setdefault(series, ([], []))
            g[0].append(ts)
            g[1].append(np.nan if value is None else float(value))
    out = []
    for series, (ts, values) in groups.items():
        ts = np.asarray(ts)
        order = np.argsort(ts, kind="stable")
        out.append((series, ts[order], np.asarray(values)[order]))
    return out


def summary(x):
    v = x[~np.isnan(x)]
    if v.size == 0:
        return 1
    np.min(v), np.max(v), np.mean(v), np.std(v), np.percentile(v, [50, 90, 95, 99])
    return 1


def hampel_pandas(v, k, t):
    s = pd.Series(v)
    roll = s.rolling(2 * k + 1, center=True, min_periods=1)
    med = roll.median().to_numpy()
    mad = roll.apply(lambda w: np.median(np.abs(w - np.median(w))), raw=True).to_numpy()
    return np.flatnonzero(np.abs(v - med) > t * (MAD_SCALE * mad)), med


def hampel_numpy(v, k, t):
    from numpy.lib.stride_tricks import sliding_window_view

    windows = sliding_window_view(np.pad(v, k, constant_values=np.nan), 2 * k + 1)
    med = np.nanmedian(windows, axis=1)
    mad = np.nanmedian(np.abs(windows - med[:, None]), axis=1)
    return np.flatnonzero(np.abs(v - med) > t * (MAD_SCALE * mad)), med


HAMPEL = hampel_pandas if pd is not None else hampel_numpy
HAMPEL_FLAVOUR = (
    "pandas rolling(center=True, min_periods=1).median() and .apply(mad, raw=True)"
    if pd is not None
    else "numpy sliding_window_view + nanmedian (pandas not installed)"
)


def default_penalty(x):
    if x.size < 2:
        return None
    d = np.diff(x)
    s = MAD_SCALE * np.median(np.abs(d - np.median(d))) / np.sqrt(2)
    if s == 0:
        s = np.std(d) / np.sqrt(2)
    if s == 0 or np.isnan(s):
        return None
    return 3.0 * (s * s) * math.log(x.size)


def changepoints(x, o):
    if x.size < 2 * o.min_size:
        return 0
    pen = o.penalty if o.penalty is not None else default_penalty(x)
    if pen is None:
        return 0
    bkps = rpt.Pelt(model="l2", min_size=o.min_size, jump=o.jump).fit(x).predict(pen=pen)
    return len(bkps) - 1


def trend(x, o):
    if np.count_nonzero(~np.isnan(x)) < 3:
        return 0
    mk.original_test(x, alpha=o.alpha)
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", required=True)
    ap.add_argument("--category", required=True, choices=CATEGORIES + ["all"])
    ap.add_argument("--half-window", type=int, default=30)
    ap.add_argument("--threshold", type=float, default=4.0)
    ap.add_argument("--min-size", type=int, default=2)
    ap.add_argument("--jump", type=int, default=1)
    ap.add_argument("--penalty", type=float, default=None)
    ap.add_argument("--no-clean", action="store_true")
    ap.add_argument("--alpha", type=float, default=0.05)
    o = ap.parse_args()

    t0 = time.perf_counter()
    batch = parse(o.input)
    emit({
        "event": "ready",
        "python": platform.python_version(),
        "versions": {
            "numpy": np.__version__,
            "pandas": pd.__version__ if pd is not None else None,
            "ruptures": rpt.__version__,
            "pymannkendall": getattr(mk, "__version__", "unknown"),
        },
        "hampel": HAMPEL_FLAVOUR,
        "series": len(batch),
        "points": int(sum(v.size for _, _, v in batch)),
        "parseSeconds": time.perf_counter() - t0,
    })

    started = time.perf_counter()
    for category in CATEGORIES if o.category == "all" else [o.category]:
        conclusions = 0
        extra = {}
        if category == "changepoint":
            # The cleaned signals (anomalies -> window median), timed apart.
            c0 = time.perf_counter()
            signals = []
            for _, _, values in batch:
                x = values[~np.isnan(values)]
                if not o.no_clean and x.size:
                    idx, med = HAMPEL(x, o.half_window, o.threshold)
                    x = x.copy()
                    x[idx] = med[idx]
                signals.append(x)
            extra["cleanSeconds"] = time.perf_counter() - c0
        c0 = time.perf_counter()
        if category == "summary":
            for _, _, values in batch:
                conclusions += summary(values)
        elif category == "anomaly":
            for _, _, values in batch:
                x = values[~np.isnan(values)]
                if x.size:
                    conclusions += len(HAMPEL(x, o.half_window, o.threshold)[0])
        elif category == "changepoint":
            for x in signals:
                conclusions += changepoints(x, o)
        else:
            for _, _, values in batch:
                conclusions += trend(values, o)
        emit({"event": "category", "category": category, "seconds": time.perf_counter() - c0,
              "conclusions": conclusions, **extra})
    emit({"event": "done", "seconds": time.perf_counter() - started})


if __name__ == "__main__":
    main()
