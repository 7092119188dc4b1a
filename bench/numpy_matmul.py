"""numpy's a @ b for one n (OpenBLAS sgemm), timed on GemmBench's schedule; prints one JSON line."""
import ctypes, json, sys, time

import numpy as np

WARMUP, MEASURE, SECONDS = 3, 5, 2.0          # GemmBench's @Warmup / @Measurement


def openblas():
    """The OpenBLAS numpy loaded: the core type it chose and its thread count."""
    for line in open('/proc/self/maps'):
        if 'openblas' in line:
            lib = ctypes.CDLL(line.split()[-1])
            lib.openblas_get_corename.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode(), lib.openblas_get_num_threads()
    return 'unknown', 0


def ops_per_second(a, b):
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < SECONDS:
        a @ b
        count += 1
    return count / (time.perf_counter() - start)


n = int(sys.argv[1])
rng = np.random.default_rng(7)
a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
for _ in range(WARMUP):
    ops_per_second(a, b)
ops = sum(ops_per_second(a, b) for _ in range(MEASURE)) / MEASURE     # the mean, as JMH reports
core, threads = openblas()
print(f'numpy n={n}: {ops * 2 * n ** 3 / 1e9:.1f} GFLOP/s', file=sys.stderr)
print(json.dumps({'n': n, 'gflops': ops * 2 * n ** 3 / 1e9, 'core': core, 'threads': threads, 'numpy': np.__version__}))
