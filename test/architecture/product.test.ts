// The product is the exporter: src/ is what `npm run build` compiles and the image carries; the
// demo, the fake API server, the fixtures and the rest of the test machinery live in testkit/
// (docs/architecture.md). These tests fail when test machinery creeps back into the build.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

it('src/ names the testkit in one place only: the demo command, which looks it up at run time', () => {
  const naming = tsFiles(path.join(ROOT, 'src'))
    .filter((f) => /\btestkit\//.test(readFileSync(f, 'utf8')))
    .map((f) => path.relative(ROOT, f));
  assert.deepEqual(naming, ['src/cli/demo.ts']);
});

describe('the build (tsconfig.build.json)', () => {
  let out: string;
  before(async () => {
    // a scratch package: the compiled tree, with the checkout's node_modules for its dependencies
    out = mkdtempSync(path.join(tmpdir(), 'spx-build-'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
    await execFileP(process.execPath, [TSC, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(out, 'dist')], {
      cwd: ROOT,
      timeout: 300_000,
    });
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('compiles the exporter and nothing of the testkit', () => {
    const files = readdirSync(path.join(out, 'dist'), { recursive: true }).map(String);
    assert.ok(files.includes(path.join('cli', 'main.js')));
    const machinery = files.filter((f) => /(^|\/)(sim|testkit|scenarios|apiserver|dataplane|golden)(\/|$)|\.(yaml|prom|pem)$/.test(f));
    assert.deepEqual(machinery, []);
  });

  it('`demo` from the build says the demo runs from a checkout, in one line, and exits 2', async () => {
    const err = await execFileP(process.execPath, [path.join(out, 'dist', 'cli', 'main.js'), 'demo'], { timeout: 60_000 }).then(
      () => assert.fail('demo succeeded without the testkit'),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    assert.equal(err.code, 2);
    assert.equal(err.stdout, '');
    assert.match(err.stderr, /^service-proxy-exporter: demo: the demo runs from a source checkout \(`npm ci && npm run demo`\)[^\n]*\n$/);
  });
});
