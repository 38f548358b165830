import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./guard-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the probe crash guard', () => {
  it('turns an exception a probe lets escape into a failed probe (reason other) and a count, and the process goes on', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, 'probe'], { cwd: ROOT, timeout: 20_000 });
    const out = JSON.parse(stdout) as {
      results: { success: boolean; reason?: string; detail?: string }[];
      crashes: number;
      labels: string[];
      seconds: number;
    };
    assert.deepEqual(
      out.results.map((r) => [r.success, r.reason]),
      [
        [false, 'other'],
        [false, 'other'],
        [false, 'other'],
      ],
    );
    for (const r of out.results) assert.match(r.detail ?? '', /prober crashed/);
    assert.equal(out.crashes, 3, 'service_proxy_exporter_probe_crashes_total counts each');
    assert.deepEqual(out.labels.sort(), ['attempt/vip', 'rejection/vip', 'timer/vip']);
    assert.ok(out.seconds < 2, `settled by the guard at once, not by a timeout (${out.seconds} s)`);
  });

  it('does not swallow an exception from outside the probes: the process still ends', async () => {
    await assert.rejects(
      run(process.execPath, ['--import', 'tsx', CHILD, 'outside'], { cwd: ROOT, timeout: 20_000 }),
      (err: { code?: number; stderr?: string }) => {
        assert.equal(err.code, 1);
        assert.match(err.stderr ?? '', /not from a probe/);
        return true;
      },
    );
  });
});
