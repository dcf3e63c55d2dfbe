// Entry of the `moco-studio` command (bin/moco-studio.js imports the built copy).
// First: sizes libuv's thread pool before anything uses it.
import '../thread-pool';
import { runCli } from './run';

// A command is one-shot: once it has answered and closed the library, it ends, even where a
// native thread pool (wasm threads, onnxruntime) would keep the event loop alive.
const exit = () => process.stdout.write('', () => process.stderr.write('', () => process.exit()));

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode ||= code;
    exit();
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
    exit();
  },
);
