// Entry of the `moco-studio` command (bin/moco-studio.js imports the built copy).
import { runCli } from './run';

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode ||= code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
