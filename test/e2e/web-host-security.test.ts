// The web host answers only this launch's token, and only to its own origin on 127.0.0.1.
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { tempDir } from './helpers/temp';
import { startHost, type RunningHost } from './helpers/web-host';

let host: RunningHost;
let removeTmp: () => Promise<void>;

beforeAll(async () => {
  const tmp = await tempDir('security');
  removeTmp = tmp.remove;
  host = await startHost(join(tmp.path, 'data'));
});

afterAll(async () => {
  await host?.stop();
  await removeTmp?.();
});

function call(headers: Record<string, string>): Promise<Response> {
  return fetch(`${host.origin}/api/call`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ method: 'getStatus', args: [] }),
  });
}

/** A raw request, so the Host header can be anything (fetch always sends the real one). */
function rawGet(path: string, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(host.origin);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: 'GET', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function socketOutcome(headers: Record<string, string>): Promise<string> {
  const url = `${host.origin.replace('http:', 'ws:')}/events`;
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(`refused ${res.statusCode}`);
      ws.terminate();
    });
    ws.on('error', (err) => resolve(`error ${err.message}`));
  });
}

describe('web host access', () => {
  it('answers a call that carries the token', async () => {
    const res = await call({ authorization: `Bearer ${host.token}` });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; result: { host: string } };
    expect(body.ok).toBe(true);
    expect(body.result.host).toBe('web');
  });

  it('refuses a call without the token, with a readable error', async () => {
    const res = await call({});
    expect(res.status).toBe(401);
    const body = (await res.json()) as { ok: boolean; error: { name: string; message: string } };
    expect(body.ok).toBe(false);
    expect(body.error.message).toMatch(/token/i);
  });

  it('refuses a wrong token', async () => {
    const res = await call({ authorization: `Bearer ${host.token}x` });
    expect(res.status).toBe(401);
  });

  it('refuses a foreign Origin even with the token', async () => {
    const res = await call({ authorization: `Bearer ${host.token}`, origin: 'http://evil.example' });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { ok: boolean; error: { message: string } };
    expect(body.error.message).toContain('evil.example');
  });

  it('refuses a foreign Host (DNS rebinding) even with the token', async () => {
    const status = await rawGet(`/?token=${encodeURIComponent(host.token)}`, { host: `evil.example:${new URL(host.origin).port}` });
    expect(status).toBe(403);
  });

  it('refuses media and the page itself without the token', async () => {
    expect((await fetch(`${host.origin}/media/thumb/1`)).status).toBe(401);
    expect((await fetch(`${host.origin}/`)).status).toBe(401);
  });

  it('opens the event socket only with the token and the right origin', async () => {
    expect(await socketOutcome({ authorization: `Bearer ${host.token}` })).toBe('open');
    expect(await socketOutcome({})).toBe('refused 401');
    expect(await socketOutcome({ authorization: `Bearer ${host.token}`, origin: 'http://evil.example' })).toBe('refused 403');
  });
});
