import { describe, expect, it } from 'vitest';
import type { ScanProgress } from '../../src-main/api/contract';
import { describeProgress, ProgressReporter } from '../../src-main/hosts/cli/progress';
import { checkAccess, checkPlace, newGate, newToken, protocolToken } from '../../src-main/hosts/web/auth';

describe('web host gate', () => {
  const gate = newGate(4321);
  const q = (s = '') => new URLSearchParams(s);
  const PAGE = ['query', 'bearer'] as const;
  const API = ['bearer'] as const;

  it('makes a fresh 256-bit token and a distinct media key per launch', () => {
    expect(gate.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(gate.mediaKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(gate.mediaKey).not.toBe(gate.token);
    expect(newToken()).not.toBe(gate.token);
  });

  it('accepts the token from the query or a Bearer header where the path allows it', () => {
    expect(checkAccess({ host: '127.0.0.1:4321' }, q(`token=${gate.token}`), gate, PAGE)).toEqual({ ok: true, via: 'query' });
    expect(checkAccess({ host: 'localhost:4321', authorization: `Bearer ${gate.token}` }, q(), gate, PAGE)).toEqual({
      ok: true,
      via: 'bearer',
    });
    expect(checkAccess({ host: 'LOCALHOST:4321', authorization: `Bearer ${gate.token}` }, q(), gate, API)).toEqual({
      ok: true,
      via: 'bearer',
    });
    // the API never takes the token from a URL
    expect(checkAccess({ host: '127.0.0.1:4321' }, q(`token=${gate.token}`), gate, API)).toMatchObject({ ok: false, status: 401 });
  });

  it('never reads a cookie, not even the old token cookie', () => {
    for (const cookie of [`moco_token_4321=${gate.token}`, `a=b; moco_token_4321=${gate.token}`, `token=${gate.token}`]) {
      expect(checkAccess({ host: '127.0.0.1:4321', cookie }, q(), gate, PAGE)).toMatchObject({
        ok: false,
        status: 401,
        message: expect.stringMatching(/got none/),
      });
    }
  });

  it('takes the token as a WebSocket subprotocol', () => {
    const headers = { host: '127.0.0.1:4321', 'sec-websocket-protocol': `moco-events, moco-token.${gate.token}` };
    expect(protocolToken(headers['sec-websocket-protocol'])).toBe(gate.token);
    expect(checkAccess(headers, q(), gate, ['protocol', 'bearer'])).toEqual({ ok: true, via: 'protocol' });
    expect(checkAccess({ ...headers, 'sec-websocket-protocol': 'moco-events, moco-token.x' }, q(), gate, ['protocol'])).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it('lets the media key read media only', () => {
    expect(checkAccess({ host: '127.0.0.1:4321' }, q(`key=${gate.mediaKey}`), gate, ['mediaKey', 'bearer'])).toEqual({
      ok: true,
      via: 'mediaKey',
    });
    expect(checkAccess({ host: '127.0.0.1:4321', authorization: `Bearer ${gate.mediaKey}` }, q(), gate, API)).toMatchObject({
      ok: false,
      status: 401,
    });
    expect(checkAccess({ host: '127.0.0.1:4321' }, q(`token=${gate.mediaKey}`), gate, PAGE)).toMatchObject({ ok: false, status: 401 });
    // nor does the token work as a media key
    expect(checkAccess({ host: '127.0.0.1:4321' }, q(`key=${gate.token}`), gate, ['mediaKey'])).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses missing and wrong tokens with 401', () => {
    expect(checkAccess({ host: '127.0.0.1:4321' }, q(), gate, PAGE)).toMatchObject({
      ok: false,
      status: 401,
      message: expect.stringMatching(/got none/),
    });
    expect(checkAccess({ host: '127.0.0.1:4321' }, q('token=' + gate.token.slice(1)), gate, PAGE)).toMatchObject({
      ok: false,
      status: 401,
      message: expect.stringMatching(/does not match/),
    });
    expect(checkAccess({ host: '127.0.0.1:4321', authorization: `Bearer ${gate.token}x` }, q(), gate, API)).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it('refuses foreign hosts and origins with 403 before looking at the token', () => {
    const good = q(`token=${gate.token}`);
    for (const host of ['evil.example:4321', '127.0.0.1:80', '127.0.0.1', '0.0.0.0:4321', '[::1]:4321', undefined]) {
      expect(checkAccess({ host }, good, gate, PAGE), String(host)).toMatchObject({ ok: false, status: 403 });
      expect(checkPlace({ host }, 4321), String(host)).toMatchObject({ ok: false, status: 403 });
    }
    for (const origin of ['http://evil.example', 'null', 'https://127.0.0.1:4321', 'http://127.0.0.1:4322', 'http://localhost']) {
      expect(checkAccess({ host: '127.0.0.1:4321', origin }, good, gate, PAGE), origin).toMatchObject({ ok: false, status: 403 });
    }
    expect(checkAccess({ host: '127.0.0.1:4321', origin: 'http://localhost:4321' }, good, gate, PAGE)).toMatchObject({ ok: true });
    expect(checkPlace({ host: '127.0.0.1:4321', origin: 'http://localhost:4321' }, 4321)).toBeNull();
  });
});

describe('CLI progress', () => {
  const p = (over: Partial<ScanProgress>): ScanProgress => ({
    jobId: 'j',
    folderIds: [1],
    phase: 'processing',
    found: 400,
    processed: 120,
    skipped: 0,
    failed: 2,
    missing: 0,
    rate: 41.25,
    etaSeconds: 7,
    elapsedMs: 3000,
    ...over,
  });

  it('describes counts, rate and ETA', () => {
    expect(describeProgress(p({}))).toBe('120/400 30% · 2 failed · 41.3/s · ETA 0:07');
    expect(describeProgress(p({ phase: 'walking', found: 57 }))).toBe('looking for images: 57 found');
    expect(describeProgress(p({ phase: 'done', processed: 400, skipped: 390, failed: 0, rate: 250 }))).toBe(
      '400/400 100% · 390 unchanged · 250/s',
    );
  });

  it('redraws one terminal line, throttled, and always shows the final state', () => {
    let now = 0;
    const out: string[] = [];
    const r = new ProgressReporter({ write: (t: string) => out.push(t), isTTY: true, columns: 100 }, 'bar', 'Scanning', () => now);
    r.update(p({ processed: 1 }));
    now += 10;
    r.update(p({ processed: 2 })); // too soon: skipped
    now += 10;
    r.update(p({ phase: 'done', processed: 400 }));
    r.end();
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^\rScanning \[-+\] 1\/400 0%/);
    expect(out[1]).toMatch(/^\rScanning \[#+\] 400\/400 100%/);
    expect(out[2]).toBe('\r\x1b[K');
  });

  it('writes JSON lines in json mode and plain lines in a log', () => {
    const json: string[] = [];
    new ProgressReporter({ write: (t: string) => json.push(t) }, 'json').update(p({}));
    expect(JSON.parse(json[0])).toMatchObject({ event: 'scan.progress', phase: 'processing', processed: 120 });
    const lines: string[] = [];
    new ProgressReporter({ write: (t: string) => lines.push(t) }, 'lines').update(p({}));
    expect(lines).toEqual(['Scanning: 120/400 30% · 2 failed · 41.3/s · ETA 0:07\n']);
  });
});
