import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { probeTcp } from '../../src/probe/tcp.js';
import type { TcpTarget } from '../../src/probe/types.js';
import { freePort, startHttp, type Running } from './servers.js';

const target = (port: number): TcpTarget => ({ kind: 'tcp', probe: 't', path: 'vip', family: 'ipv4', host: '127.0.0.1', port });

describe('tcp prober', () => {
  let server: Running;
  before(async () => (server = await startHttp()));
  after(() => server.close());

  it('succeeds when the handshake completes', async () => {
    const r = await probeTcp(target(server.port), { timeoutMs: 2000 });
    assert.equal(r.success, true);
    assert.equal(r.reason, undefined);
    assert.ok(r.durationSeconds >= 0);
  });

  it('reports refused when nothing listens', async () => {
    const r = await probeTcp(target(await freePort()), { timeoutMs: 2000 });
    assert.equal(r.success, false);
    assert.equal(r.reason, 'refused');
    assert.match(r.detail ?? '', /ECONNREFUSED/);
  });

  it('never throws on an invalid port: reason other', async () => {
    const r = await probeTcp(target(70000), { timeoutMs: 2000 });
    assert.equal(r.success, false);
    assert.equal(r.reason, 'other');
  });

  it('ends with other/aborted when the signal is already aborted', async () => {
    const r = await probeTcp(target(server.port), { timeoutMs: 2000, signal: AbortSignal.abort() });
    assert.deepEqual([r.success, r.reason, r.detail], [false, 'other', 'aborted']);
  });
});
