#!/usr/bin/python3
"""FAISS IndexFlatIP side of `npm run bench:search` (run with Debian's /usr/bin/python3 and python3-faiss).

Reads the library and the queries from the .npy files the benchmark wrote (the same bytes the
JS side searches), builds an exact inner-product index, prints one JSON line {"ready": ...}, then
answers one JSON command per stdin line with one JSON line on stdout:

  {"op": "single", "start": i, "count": c}             c one-query searches of queries[i:i+c]
  {"op": "batch", "start": i, "size": b, "count": c}   c searches of b queries each
  {"op": "quit"}

Each answer carries the wall and CPU time (all threads) of every search in ms and the top-k ids and scores per query.
The benchmark interleaves these with its own searches so both sides meet the same machine load.
"""
import argparse
import json
import sys
import time

import faiss
import numpy as np

from refenv import env_report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="n x d float32 .npy (unit rows)")
    ap.add_argument("--queries", required=True, help="m x d float32 .npy (unit rows)")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0, help="OpenMP threads (default: all cores)")
    args = ap.parse_args()

    if args.threads > 0:
        faiss.omp_set_num_threads(args.threads)
    t0 = time.perf_counter()
    # Memory-mapped: the index copies the rows once, so the process holds one copy of the library.
    data = np.load(args.data, mmap_mode="r")
    queries = np.ascontiguousarray(np.load(args.queries))
    index = faiss.IndexFlatIP(data.shape[1])
    chunk = 1 << 16
    for i in range(0, data.shape[0], chunk):
        index.add(np.ascontiguousarray(data[i : i + chunk]))
    del data
    index.search(queries[:1], args.k)  # warm-up: page in the index, start the thread pool
    emit({
        "ready": True,
        "faiss": faiss.__version__,
        "threads": faiss.omp_get_max_threads(),
        "blas_threshold": faiss.cvar.distance_compute_blas_threshold,
        "load_s": time.perf_counter() - t0,
        **env_report(),
    })

    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "quit":
            break
        size = 1 if cmd["op"] == "single" else int(cmd["size"])
        start, count = int(cmd["start"]), int(cmd["count"])
        ms, cpu_ms, ids, scores = [], [], [], []
        for c in range(count):
            q = queries[start + c * size : start + (c + 1) * size]
            t, tc = time.perf_counter(), time.process_time()
            dist, idx = index.search(q, args.k)
            ms.append((time.perf_counter() - t) * 1000)
            cpu_ms.append((time.process_time() - tc) * 1000)
            ids.extend(idx.tolist())
            scores.extend(dist.tolist())
        emit({"ms": ms, "cpu_ms": cpu_ms, "ids": ids, "scores": scores})


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
