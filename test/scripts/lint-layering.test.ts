// The layering in DESIGN.md is enforced by the lint config, not hoped for: each deliberate
// violation below is linted as if it stood at a real path in the tree, and must be refused, while
// the allowed import beside it passes.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

async function importErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const use = (from: string) => `import { thing } from '${from}';\nexport const used = thing;\n`;

describe('layering rules', () => {
  it('lets the renderer import the API contract and nothing else of the main process', async () => {
    const file = 'src-renderer/src/lib/layering-probe.ts';
    expect(await importErrors(file, use('../../../src-main/api/contract'))).toEqual([]);
    expect((await importErrors(file, use('../../../src-main/core/studio')))[0]).toMatch(/only through the API contract/);
    expect((await importErrors(file, use('../../../src-main/hosts/dispatch')))[0]).toMatch(/only through the API contract/);
    expect((await importErrors(file, use('../../../src-main/api/validate')))[0]).toMatch(/API contract only/);
    expect((await importErrors(file, use('node:fs')))[0]).toMatch(/browser sandbox/);
    expect(
      (
        await importErrors(
          'src-renderer/src/components/LayeringProbe.svelte',
          `<script lang="ts">\n${use('../../../src-main/core/paths')}</script>\n`,
        )
      )[0],
    ).toMatch(/only through the API contract/);
  });

  it('keeps core free of hosts and of Electron', async () => {
    const file = 'src-main/core/library/layering-probe.ts';
    expect(await importErrors(file, use('../db/database'))).toEqual([]);
    expect((await importErrors(file, use('../../hosts/dispatch')))[0]).toMatch(/never import a host/);
    expect((await importErrors(file, use('electron')))[0]).toMatch(/without Electron/);
    expect((await importErrors('src-main/api/layering-probe.ts', use('../hosts/media')))[0]).toMatch(/never import a host/);
  });

  it('lets hosts use the studio and the contract, not core internals', async () => {
    const file = 'src-main/hosts/cli/layering-probe.ts';
    expect(await importErrors(file, use('../../core/studio'))).toEqual([]);
    expect(await importErrors(file, use('../../api/contract'))).toEqual([]);
    expect((await importErrors(file, use('../../core/moco/moco')))[0]).toMatch(/core internals stay behind the studio/);
  });

  it('refuses a file over 300 lines and a function over 80', async () => {
    const body = Array.from({ length: 85 }, (_, i) => `  total += ${i};`).join('\n');
    const code = `export function long(): number {\n  let total = 0;\n${body}\n  return total;\n}\n` + '\n'.repeat(230);
    const [result] = await eslint.lintText(code, { filePath: join(root, 'src-main/core/layering-probe.ts') });
    expect(result.messages.map((m) => m.ruleId).sort()).toEqual(['max-lines', 'max-lines-per-function']);
  });
});
