import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detailFromError, reasonFromError } from '../../src/probe/reason.js';
import { FAILURE_REASONS } from '../../src/probe/types.js';

const withCode = (code: string, message = `connect ${code} 198.18.0.2:80`): Error => Object.assign(new Error(message), { code });

describe('reasonFromError', () => {
  const cases: [string, string][] = [
    ['ECONNREFUSED', 'refused'],
    ['ECONNRESET', 'reset'],
    ['EPIPE', 'reset'],
    ['EHOSTUNREACH', 'unreachable'],
    ['ENETUNREACH', 'unreachable'],
    ['EADDRNOTAVAIL', 'unreachable'],
    ['ETIMEDOUT', 'timeout'],
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['EPROTO', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['ERR_OSSL_SOMETHING', 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['ERR_SOCKET_BAD_PORT', 'other'],
    ['EWHATEVER', 'other'],
  ];
  for (const [code, reason] of cases) {
    it(`${code} → ${reason}`, () => assert.equal(reasonFromError(withCode(code)), reason));
  }

  it('looks into cause (fetch-style wrapping)', () => {
    assert.equal(reasonFromError(new TypeError('fetch failed', { cause: withCode('ECONNREFUSED') })), 'refused');
  });

  it('recognises TimeoutError and OpenSSL library errors', () => {
    assert.equal(reasonFromError(Object.assign(new Error('t'), { name: 'TimeoutError' })), 'timeout');
    assert.equal(reasonFromError(Object.assign(new Error('x'), { library: 'SSL routines' })), 'tls');
  });

  it('always answers a member of the closed set, whatever is thrown', () => {
    for (const v of [undefined, null, 42, 'string', {}, { code: 7 }, new Error('plain'), Symbol('s')]) {
      assert.ok((FAILURE_REASONS as readonly string[]).includes(reasonFromError(v)));
    }
  });
});

describe('detailFromError', () => {
  it('is one line, prefixed with the code when the message lacks it, at most 200 chars', () => {
    assert.equal(detailFromError(withCode('ECONNREFUSED')), 'connect ECONNREFUSED 198.18.0.2:80');
    assert.equal(detailFromError(withCode('EPROTO', 'bad\nrecord')), 'EPROTO: bad record');
    assert.equal(detailFromError(new Error('x'.repeat(500))).length, 200);
    assert.equal(detailFromError('boom'), 'boom');
  });
});
