import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMediaPath } from '../../src-main/hosts/media';
import { contentTypeFor, resolveStaticPath } from '../../src-main/hosts/static-files';

describe('media paths', () => {
  it('accepts thumb/<id> and preview/<id> only', () => {
    expect(parseMediaPath('thumb/12')).toEqual({ kind: 'thumb', id: 12 });
    expect(parseMediaPath('preview/1')).toEqual({ kind: 'preview', id: 1 });
    for (const bad of [
      'thumb/0',
      'thumb/-1',
      'thumb/1.5',
      'thumb/12/',
      'thumb/012',
      'thumbs/1',
      'preview/1e3',
      '../../etc/passwd',
      'thumb/..%2F..%2Fetc%2Fpasswd',
      'thumb/99999999999999999',
      'thumb/',
      'file/1',
      'thumb/1?x',
    ]) {
      expect(parseMediaPath(bad), bad).toBeNull();
    }
  });
});

describe('static files', () => {
  const root = mkdtempSync(join(tmpdir(), 'moco-static-'));

  it('maps URL paths inside the root and index.html for /', () => {
    expect(resolveStaticPath(root, '/')).toBe(join(root, 'index.html'));
    expect(resolveStaticPath(root, '/assets/app-1.js')).toBe(join(root, 'assets', 'app-1.js'));
    expect(resolveStaticPath(root, '/assets/a%20b.css')).toBe(join(root, 'assets', 'a b.css'));
  });

  it('refuses traversal, encoded traversal, NUL and malformed escapes', () => {
    for (const bad of [
      '/../etc/passwd',
      '/assets/../../x',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fetc',
      '/a%00b',
      '/%E0%A4%A',
      '/..\\..\\x',
    ]) {
      expect(resolveStaticPath(root, bad), bad).toBeNull();
    }
  });

  it('knows the content types the renderer uses', () => {
    expect(contentTypeFor('index.html')).toMatch(/^text\/html/);
    expect(contentTypeFor('a.js')).toMatch(/^text\/javascript/);
    expect(contentTypeFor('a.css')).toMatch(/^text\/css/);
    expect(contentTypeFor('a.svg')).toBe('image/svg+xml');
    expect(contentTypeFor('a.unknown')).toBe('application/octet-stream');
  });
});
