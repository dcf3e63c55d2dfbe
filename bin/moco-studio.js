#!/usr/bin/env node
// The `moco-studio` command: runs the CLI built into out/main/cli.js.
import { existsSync } from 'node:fs';

const cli = new URL('../out/main/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('moco-studio: the CLI is not built yet (out/main/cli.js is missing): run npm run build');
  process.exit(1);
}
await import(cli.href);
