import { describe, expect, it } from 'vitest';
import {
  baseName,
  commandsIn,
  MOCO_COMMANDS,
  fileRows,
  folderError,
  importRequest,
  relativeTo,
  subsetRequest,
  WEIGHT_FORMATS,
} from '../../src-renderer/src/lib/export-form';

describe('destination folder', () => {
  it('needs an absolute path on the app’s machine', () => {
    expect(folderError('/tmp/out')).toBeNull();
    expect(folderError('C:\\Users\\me\\out')).toBeNull();
    expect(folderError('\\\\server\\share')).toBeNull();
    expect(folderError('  ')).toBe('Destination: expected a folder path, got nothing');
    expect(folderError('out/here')).toBe('Destination: expected an absolute folder path (e.g. /home/me/exports), got "out/here"');
    expect(folderError('~/out')).not.toBeNull();
  });

  it('offers the three weight formats, safetensors first', () => {
    expect(WEIGHT_FORMATS.map((f) => f.value)).toEqual(['safetensors', 'tfjs', 'onnx']);
  });
});

describe('import form', () => {
  it('sends the path with only the options given', () => {
    expect(importRequest({ path: ' /w/moco_v2_200ep.pth.tar ', inputSize: '', name: '' })).toEqual({
      path: '/w/moco_v2_200ep.pth.tar',
      options: {},
    });
    expect(importRequest({ path: '/w/enc.safetensors', inputSize: ' 64 ', name: ' my encoder ' })).toEqual({
      path: '/w/enc.safetensors',
      options: { inputSize: 64, name: 'my encoder' },
    });
  });

  it('says what to fix', () => {
    expect(importRequest({ path: '', inputSize: '', name: '' })).toEqual({
      error: 'Weights file: expected a path to a .pth.tar, .pth or .safetensors file, got nothing',
    });
    expect(importRequest({ path: 'enc.pth', inputSize: '', name: '' })).toEqual({
      error: 'Weights file: expected an absolute path, got "enc.pth"',
    });
    expect(importRequest({ path: '/enc.pth', inputSize: '12', name: '' })).toEqual({
      error: 'Input size: expected an integer from 16 to 1024 px, or nothing for the default, got "12"',
    });
    expect(importRequest({ path: '/enc.pth', inputSize: '', name: 'x'.repeat(201) })).toEqual({
      error: 'Name: expected at most 200 characters, got 201',
    });
  });
});

describe('subset form', () => {
  it('links or copies only in the tree layout, folders sorted', () => {
    const base = { labels: { kind: 'folder' as const, level: 0 }, dir: '/out', folderIds: [3, 1] };
    expect(subsetRequest({ ...base, layout: 'tree', mode: 'symlink' })).toEqual({
      ...base,
      layout: 'tree',
      mode: 'symlink',
      folderIds: [1, 3],
    });
    expect(subsetRequest({ ...base, layout: 'list', mode: 'symlink' })).toMatchObject({ layout: 'list', mode: 'copy' });
    expect(subsetRequest({ ...base, dir: '', layout: 'tree', mode: 'copy' })).toEqual({
      error: 'Destination: expected a folder path, got nothing',
    });
  });
});

describe('export result', () => {
  it('lists files below the export folder with sizes and a total', () => {
    const r = fileRows({
      dir: '/out/run-3-safetensors',
      files: [
        { path: '/out/run-3-safetensors/model.safetensors', bytes: 2_400_000 },
        { path: '/out/run-3-safetensors/config.json', bytes: 812 },
        { path: '/elsewhere/x.txt', bytes: 10 },
      ],
      notes: '',
    });
    expect(r.rows.map((f) => [f.name, f.size])).toEqual([
      ['model.safetensors', '2.3 MB'],
      ['config.json', '812 B'],
      ['/elsewhere/x.txt', '10 B'],
    ]);
    expect(r.count).toBe(3);
    expect(r.total).toBe('2.3 MB');
    expect(relativeTo('C:\\out\\', 'C:\\out\\a\\b.npy')).toBe('a\\b.npy');
    expect(relativeTo('/out', '/outside/b')).toBe('/outside/b');
    expect(baseName('/a/b/run-3/')).toBe('run-3');
  });

  it('finds the command lines in the notes, with their continued lines and the comment above', () => {
    const notes = [
      'An ImageFolder tree of 3 classes.',
      '',
      '# N machines, 8 GPUs each:',
      '  $ torchrun --nproc_per_node=8 --nnodes=2 main_moco.py \\',
      '      -a resnet50 --lr 0.03 --batch-size 256 \\',
      '      --mlp --moco-t 0.2 --aug-plus --cos /data/subset',
      'Then evaluate with main_lincls.py.',
      'python main_moco.py -a resnet50 /data/subset',
      'python other.py',
    ].join('\n');
    expect(commandsIn(notes, MOCO_COMMANDS)).toEqual([
      {
        label: 'N machines, 8 GPUs each',
        text: 'torchrun --nproc_per_node=8 --nnodes=2 main_moco.py \\\n      -a resnet50 --lr 0.03 --batch-size 256 \\\n      --mlp --moco-t 0.2 --aug-plus --cos /data/subset',
      },
      { label: '', text: 'python main_moco.py -a resnet50 /data/subset' },
    ]);
    expect(commandsIn(notes, ['moco-studio'])).toEqual([]);
  });
});

describe('missing destination', () => {
  it('offers to create the folder only when the app said it does not exist', async () => {
    const { isFolderMissing } = await import('../../src-renderer/src/lib/export-form');
    const { errorText } = await import('../../src-renderer/src/lib/error-text');
    const missing = errorText(
      { name: 'FolderMissing', message: 'Destination: expected an existing folder, got /x, which does not exist' },
      'Exporting weights',
    );
    expect(isFolderMissing(missing)).toBe(true);
    expect(missing.title).toBe('Exporting weights: folder not found');
    expect(isFolderMissing(errorText({ name: 'InvalidInput', message: 'x' }))).toBe(false);
    expect(isFolderMissing(null)).toBe(false);
  });
});
