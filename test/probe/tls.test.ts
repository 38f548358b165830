import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { probeTls } from '../../src/probe/tls.js';
import type { TlsTarget } from '../../src/probe/types.js';
import { freePort, startHttp, startSilentTcp, startTlsSilent, type Running } from './servers.js';

const target = (port: number): TlsTarget => ({ kind: 'tls', probe: 't', path: 'endpoint', family: 'ipv4', host: '127.0.0.1', port });

describe('tls prober', () => {
  const servers: Running[] = [];
  let secure: Running, plain: Running, silent: Running;
  before(async () => {
    servers.push((secure = await startTlsSilent()));
    servers.push((plain = await startHttp()));
    servers.push((silent = await startSilentTcp()));
  });
  after(() => Promise.all(servers.map((s) => s.close())));

  it('succeeds on a completed handshake with a self-signed certificate', async () => {
    const r = await probeTls(target(secure.port), { timeoutMs: 2000 });
    assert.equal(r.success, true, r.detail);
    assert.match(r.detail ?? '', /TLSv1\.[23]/);
  });

  it('fails with tls against a plain-text server', async () => {
    const r = await probeTls(target(plain.port), { timeoutMs: 2000 });
    assert.deepEqual([r.success, r.reason], [false, 'tls'], r.detail);
  });

  it('times out when the server never answers the ClientHello', async () => {
    const r = await probeTls(target(silent.port), { timeoutMs: 200 });
    assert.deepEqual([r.success, r.reason], [false, 'timeout']);
  });

  it('reports refused', async () => {
    const r = await probeTls(target(await freePort()), { timeoutMs: 2000 });
    assert.deepEqual([r.success, r.reason], [false, 'refused']);
  });
});
