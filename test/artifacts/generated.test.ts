// Generated files are up to date with their TypeScript source, and `generate.ts --check` says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { renderArtifacts } from '../../src/artifacts/render.js';
import { staleArtifacts, writeArtifacts } from '../../src/artifacts/generate.js';
import { ROOT } from './helpers.js';

const run = promisify(execFile);

test('every generated file in the tree is up to date (run `npm run generate`)', async () => {
  assert.deepEqual(await staleArtifacts(ROOT), []);
});

test('rendering is deterministic', () => {
  assert.deepEqual([...renderArtifacts()], [...renderArtifacts()]);
});

test('--check exits 0 on the tree and 1 when a generated file is edited', async () => {
  const script = resolve(ROOT, 'src/artifacts/generate.ts');
  const ok = await run(process.execPath, ['--import', 'tsx', script, '--check'], { cwd: ROOT });
  assert.match(ok.stdout, /up to date/);

  // --check against a scratch copy with one file tampered with
  const dir = await mkdtemp(join(tmpdir(), 'spe-generate-'));
  try {
    await writeArtifacts(dir);
    assert.deepEqual(await staleArtifacts(dir), []);
    const rules = join(dir, 'rules/service-proxy-exporter.rules.yml');
    await writeFile(rules, (await readFile(rules, 'utf8')) + '# hand edit\n');
    assert.deepEqual(await staleArtifacts(dir), ['rules/service-proxy-exporter.rules.yml']);
    const bad = await run(process.execPath, ['--import', 'tsx', script, '--check', '--root', dir], { cwd: ROOT }).then(
      () => assert.fail('--check must exit non-zero'),
      (e: { code?: number; stderr?: string }) => e,
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr ?? '', /out of date: rules\/service-proxy-exporter\.rules\.yml/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
