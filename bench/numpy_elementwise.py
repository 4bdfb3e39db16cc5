"""The numpy peer of `acctl bench --suite elementwise`: gelu_tanh(x*a+b) on 16M float32, unfused.

Prints one JSON line: {"implementation": "numpy", "median_seconds": ..., "gbps": ...}, where GB/s counts
the same bytes acctl counts (16M floats read + 16M written), so the two are directly comparable.
"""
import json
import sys
import time

import numpy as np


def gelu_affine(x, a, b):
    y = x * a + b
    return 0.5 * y * (1.0 + np.tanh(np.float32(0.7978845608028654) * (y + np.float32(0.044715) * y * y * y)))


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    count = 16 << 20
    x = ((np.arange(count, dtype=np.int64) * 2654435761) & 0xFFFF).astype(np.float32) / 32768 - 1
    a, b = np.float32(1.5), np.float32(-0.25)
    gelu_affine(x, a, b)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        gelu_affine(x, a, b)
        times.append(time.perf_counter() - start)
    median = sorted(times)[len(times) // 2]
    print(json.dumps({"implementation": "numpy", "median_seconds": median, "gbps": 2 * 4 * count / median / 1e9, "runs": runs}))


if __name__ == "__main__":
    main()
