// sharp decodes and fs reads share libuv's thread pool (4 threads unless told otherwise). A scan
// keeps 2 files per core decoding; a few threads more keep file reads and writes from queueing
// behind them. The size only takes effect if set before the pool's first use, so each process
// entry (Electron main, web host, CLI) imports this module before anything else.
import { availableParallelism } from 'node:os';

process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism() * 2 + 2));
