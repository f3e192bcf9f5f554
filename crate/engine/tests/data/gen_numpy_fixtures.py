"""Regenerates the numpy oracle fixtures for tests/numpy_oracle.rs.

    .venv/bin/python crate/engine/tests/data/gen_numpy_fixtures.py            # committed fixtures
    .venv/bin/python crate/engine/tests/data/gen_numpy_fixtures.py --summary N --out F [--sizes 8,1440]
        # N extra random summary cases into F (run the test with CONCLUDE_SUMMARY_FIXTURE=F)

Format, one case per line, floats as Python repr (round-trips exactly; 'nan', '-0.0'):
    summary: <values...> ; <count> <missing> <min> <max> <mean> <std> <p50> <p90> <p95> <p99>
             ('-' for an absent statistic)
    hampel:  <k> <t> ; <values...> ; <index>,<value>,<median>,<mad>,<score|-> ...
"""
import argparse
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MAD_SCALE = 1.482602218505602


def fmt(v):
    return repr(float(v))


def summary_expect(x):
    x = np.asarray(x, dtype=np.float64)
    v = x[~np.isnan(x)]
    if v.size == 0:
        return f"0 {x.size} " + " ".join(["-"] * 8)
    stats = [v.min(), v.max(), v.mean(), v.std()] + [np.percentile(v, q) for q in (50, 90, 95, 99)]
    return f"{v.size} {x.size - v.size} " + " ".join(fmt(s) for s in stats)


def hampel_oracle(x, k, t):
    """The SPEC definition, directly in numpy."""
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    out = []
    for i in range(n):
        w = x[max(0, i - k): min(n - 1, i + k) + 1]
        med = np.median(w)
        mad = np.median(np.abs(w - med))
        sigma = MAD_SCALE * mad
        dev = np.abs(x[i] - med)
        if dev > t * sigma:
            score = "-" if sigma == 0 else fmt(dev / sigma)
            out.append(f"{i},{fmt(x[i])},{fmt(med)},{fmt(mad)},{score}")
    return out


def random_series(rng, n):
    kind = rng.integers(0, 9)
    if kind == 0:  # Gaussian, random scale and offset (large offsets stress std)
        x = rng.normal(10.0 ** rng.integers(-3, 7), 10.0 ** rng.integers(-4, 4), n)
    elif kind == 1:  # heavy ties: small integers
        x = rng.integers(-3, 4, n).astype(float)
    elif kind == 2:  # ties at a few non-integer levels
        x = rng.choice([0.1, 0.2, 0.3, 1e-9, -7.25], n)
    elif kind == 3:  # constant runs with spikes
        x = np.repeat(rng.normal(0, 1, max(1, n // 17 + 1)), 17)[:n]
        spikes = rng.random(n) < 0.03
        x[spikes] += rng.normal(0, 50, spikes.sum())
    elif kind == 4:  # constant
        x = np.full(n, rng.choice([0.0, -0.0, 3.5, 1e300, -2e-310]))
    elif kind == 5:  # signed zeros and ones
        x = rng.choice([0.0, -0.0, 1.0, -1.0], n)
    elif kind == 6:  # wide dynamic range
        x = rng.normal(0, 1, n) * 10.0 ** rng.integers(-300, 300, n)
    elif kind == 7:  # uniform
        x = rng.random(n)
    else:  # noisy trend with a level shift
        x = np.linspace(0, 5, n) + rng.normal(0, 0.3, n) + np.where(np.arange(n) > n // 2, 4.0, 0.0)
    return x


def summaries(rng, count, sizes):
    lines = []
    for _ in range(count):
        n = int(rng.choice(sizes))
        x = random_series(rng, n)
        if rng.random() < 0.4 and n:
            x = x.copy()
            x[rng.random(n) < rng.choice([0.05, 0.3, 1.0])] = np.nan
        lines.append(" ".join(fmt(v) for v in x) + " ; " + summary_expect(x))
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--summary", type=int, default=0)
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--sizes", help="comma-separated series lengths to draw from")
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)

    if args.summary:
        sizes = [1, 2, 3, 7, 8, 9, 16, 100, 127, 128, 129, 255, 256, 257, 1000, 1440, 1440, 1440,
                 4096, 8191, 8192, 8193, 20000, 100_000]
        if args.sizes:
            sizes = [int(v) for v in args.sizes.split(",")]
        with open(args.out, "w") as f:
            f.write("\n".join(summaries(rng, args.summary, sizes)) + "\n")
        return

    fixed = [[], [np.nan], [np.nan, np.nan], [1.5], [-0.0], [0.0, -0.0], [-0.0, 0.0, -0.0],
             [2.0] * 9, [1.0, np.nan, 2.0, np.nan, 3.0], [5.0, 1.0, 5.0, 1.0, 5.0, 1.0, 2.0],
             [1e16] + [1.0] * 20, [0.1] * 130, list(np.arange(1000) % 7)]
    lines = [" ".join(fmt(v) for v in x) + " ; " + summary_expect(x) for x in fixed]
    lines += summaries(rng, 160, [0, 1, 2, 5, 7, 8, 9, 15, 16, 17, 64, 127, 128, 129, 200, 257,
                                  300, 1440, 2100])
    with open(os.path.join(HERE, "summary_numpy.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")

    lines = []
    cases = [(int(rng.integers(1, 300)), int(rng.integers(1, 41)), float(rng.choice([2.0, 3.0, 4.0])))
             for _ in range(90)]
    cases += [(1, 1, 3.0), (2, 1, 3.0), (5, 30, 4.0), (60, 30, 4.0), (61, 30, 4.0), (62, 30, 4.0),
              (1440, 30, 4.0), (1440, 3, 3.0), (1500, 600, 3.0)]
    for n, k, t in cases:
        x = random_series(rng, n)
        x = np.where(np.isnan(x), 0.0, x)
        if n > 10:  # inject a few spikes
            idx = rng.integers(0, n, max(1, n // 100))
            x[idx] += rng.choice([-1, 1], idx.size) * 20 * (np.std(x) + 1)
        lines.append(f"{k} {fmt(t)} ; " + " ".join(fmt(v) for v in x) + " ; "
                     + " ".join(hampel_oracle(x, k, t)))
    with open(os.path.join(HERE, "hampel_numpy.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
