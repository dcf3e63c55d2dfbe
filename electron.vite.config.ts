import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { contractAlias } from './contract-alias.ts';

// One main-process bundle serves all three doors: the Electron main, the web host and the CLI,
// plus the worker entries. Output is flat so a worker can be found next to any chunk.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve('src-main/hosts/electron/main.ts'),
          web: resolve('src-main/hosts/web/start.ts'),
          cli: resolve('src-main/hosts/cli/main.ts'),
          'scan-worker': resolve('src-main/core/library/scan-worker.ts'),
          'train-worker': resolve('src-main/core/moco/train/train-worker.ts'),
          'embed-worker': resolve('src-main/core/search/embed-worker.ts'),
          'probe-worker': resolve('src-main/core/probe/probe-worker.ts'),
        },
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve('src-main/hosts/electron/preload.ts') },
        // Sandboxed preloads must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    plugins: [svelte()],
    resolve: { alias: contractAlias },
    build: {
      outDir: 'out/renderer',
      rollupOptions: { input: { index: resolve('src-renderer/index.html') } },
    },
  },
});
