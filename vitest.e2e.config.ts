import { defineConfig } from 'vitest/config';
import { contractAlias } from './contract-alias.ts';

export default defineConfig({
  resolve: { alias: contractAlias },
  test: {
    include: ['test/e2e/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
