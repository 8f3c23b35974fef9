"""Regenerates the ewstools parity fixtures in this directory.

Run from the repository root with ewstools 2.1 installed (it brings pandas, scipy and
statsmodels):

    python -m venv /tmp/ewsvenv && /tmp/ewsvenv/bin/pip install 'ewstools==2.1.*'
    /tmp/ewsvenv/bin/python crates/thermo-core/tests/parity/generate.py

Each case file pins its input series and the outputs ewstools computed for it: the
smoothing and residuals of `TimeSeries.detrend`, every rolling indicator of `compute_var`,
`compute_std`, `compute_cv`, `compute_auto(lag)`, `compute_skew`, `compute_kurt`, and the
Kendall tau of `compute_ktau`. NaN is written as null.
"""

import csv
import importlib.metadata
import json
import math
import os
import sys

import numpy as np
import pandas as pd
import ewstools
import scipy
import statsmodels

HERE = os.path.dirname(os.path.abspath(__file__))
# `shared/` sits beside the repository (three levels above the crate directory).
DATA = next(
    p
    for p in (
        os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "data"),
        os.path.join(HERE, "..", "..", "..", "..", "..", "..", "shared", "data"),
    )
    if os.path.isdir(p)
)


def clean(values):
    return [None if (v is None or (isinstance(v, float) and math.isnan(v))) else float(v) for v in values]


def read_two_col(name):
    with open(os.path.join(DATA, name)) as f:
        rows = list(csv.DictReader(f))
    return [float(r["time"]) for r in rows], [float(r["value"]) for r in rows]


def read_community(community, column):
    with open(os.path.join(DATA, "ews_ewsmethods_simTransComms.csv")) as f:
        rows = [r for r in csv.DictReader(f) if r["community_id"] == community]
    return [float(r["time"]) for r in rows], [float(r[column]) for r in rows]


def simulated_ar1(n, seed, phi_start, phi_end, trend):
    rng = np.random.default_rng(seed)
    phis = np.linspace(phi_start, phi_end, n)
    x = np.zeros(n)
    for i in range(1, n):
        x[i] = phis[i] * x[i - 1] + rng.normal()
    t = np.arange(n, dtype=float)
    return list(t), list(x + trend * t + 10.0)


def run_case(name, source, time, value, detrend, bandwidth, span, window, lag):
    series = pd.Series(value, index=pd.Index(time, name="time"))
    ts = ewstools.TimeSeries(series)
    if detrend == "gaussian":
        ts.detrend(method="Gaussian", bandwidth=bandwidth)
    elif detrend == "lowess":
        ts.detrend(method="Lowess", span=span)
    ts.compute_var(rolling_window=window)
    ts.compute_std(rolling_window=window)
    ts.compute_cv(rolling_window=window)
    ts.compute_auto(rolling_window=window, lag=1)
    if lag != 1:
        ts.compute_auto(rolling_window=window, lag=lag)
    ts.compute_skew(rolling_window=window)
    ts.compute_kurt(rolling_window=window)
    ts.compute_ktau()
    out = {
        "name": name,
        "source": source,
        "settings": {
            "detrend": detrend,
            "bandwidth": bandwidth,
            "span": span,
            "window": window,
            "lag": lag,
        },
        "time": clean(time),
        "state": clean(value),
        "smoothing": clean(ts.state["smoothing"]) if "smoothing" in ts.state else None,
        "residuals": clean(ts.state["residuals"]) if "residuals" in ts.state else None,
        "ews": {col: clean(ts.ews[col]) for col in ts.ews.columns},
        "ktau": {k: (None if math.isnan(v) else float(v)) for k, v in ts.ktau.items()},
    }
    with open(os.path.join(HERE, f"{name}.json"), "w") as f:
        json.dump(out, f, indent=None)
        f.write("\n")


def main():
    fold = read_two_col("ews_earlywarnings_foldbif.csv")
    circ = read_two_col("ews_earlywarnings_circulation.csv")
    comm = read_community("1_255_1", "spp_3")
    fold_src = "earlywarnings-R foldbif (BSD-2-Clause, (c) 2012-2014 Dakos & Lahti)"
    circ_src = "earlywarnings-R circulation (BSD-2-Clause, (c) 2012-2014 Dakos & Lahti)"
    comm_src = "EWSmethods simTransComms community 1_255_1 spp_3 (MIT)"
    cases = [
        ("foldbif_gaussian_bw02_w025", fold_src, *fold, "gaussian", 0.2, 0.2, 0.25, 1),
        ("foldbif_gaussian_bw005_w05_lag2", fold_src, *fold, "gaussian", 0.05, 0.2, 0.5, 2),
        ("foldbif_lowess_span02_w05", fold_src, *fold, "lowess", 0.2, 0.2, 0.5, 1),
        ("foldbif_none_w50pts", fold_src, *fold, "none", 0.2, 0.2, 50, 1),
        ("circulation_gaussian_bw01_w025", circ_src, *circ, "gaussian", 0.1, 0.2, 0.25, 1),
        ("circulation_lowess_span30pts_w025", circ_src, *circ, "lowess", 0.2, 30, 0.25, 1),
        ("simtranscomms_gaussian_bw02_w04", comm_src, *comm, "gaussian", 0.2, 0.2, 0.4, 1),
        ("simulated_ar1_rising_gaussian_n1000", "numpy default_rng(7) AR(1), phi 0.1 -> 0.95, drift 0.01", *simulated_ar1(1000, 7, 0.1, 0.95, 0.01), "gaussian", 0.2, 0.2, 0.25, 1),
        ("simulated_ar1_rising_lowess_n400", "numpy default_rng(11) AR(1), phi 0.2 -> 0.9, drift 0.02", *simulated_ar1(400, 11, 0.2, 0.9, 0.02), "lowess", 0.2, 0.25, 0.5, 1),
        ("simulated_ar1_stationary_none_n300", "numpy default_rng(3) AR(1), phi 0.5", *simulated_ar1(300, 3, 0.5, 0.5, 0.0), "none", 0.2, 0.2, 0.25, 3),
    ]
    for case in cases:
        run_case(*case)
    versions = {
        "python": sys.version.split()[0],
        "ewstools": importlib.metadata.version("ewstools"),
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "statsmodels": statsmodels.__version__,
    }
    with open(os.path.join(HERE, "versions.json"), "w") as f:
        json.dump(versions, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
