// Property tests for configuration: arbitrary flags, environment variables and config files go
// through parseCommandLine / resolveSettings and come out as Settings or as one clear line
// (UsageError / ConfigError) — never another exception. A few spawns of the real CLI check the
// user-facing side: exit code 2, one stderr line, no stack trace.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseCommandLine, UsageError } from '../../src/cli/args.js';
import { ConfigError, fileKey, resolveSettings } from '../../src/config/load.js';
import { OPTIONS, envName, type OptionDef } from '../../src/config/options.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const dir = mkdtempSync(join(tmpdir(), 'spx-fuzz-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FLAGS = OPTIONS.filter((o) => 'flag' in o && o.flag).map((o) => (o as { flag: string }).flag);
const FILE_KEYS = OPTIONS.map((o) => fileKey(o as OptionDef));

const value = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    '0',
    '-1',
    '1',
    '15s',
    '500ms',
    '1m30s',
    '9999999999999999999h',
    ':9808',
    '127.0.0.1:0',
    '[::1]:80',
    'deployment',
    'daemonset',
    'json',
    'text',
    'debug',
    'cluster.local',
    '\n',
    'a\nb',
    '"',
    'NaN',
    '1e3',
    ' 5s ',
    '\u0000',
  ),
  fc.nat({ max: 5000 }).map((n) => '9'.repeat(n)),
);

/** The one-line contract of a user-facing error. */
function assertOneLine(e: unknown, types: (abstract new (...a: never[]) => Error)[]): void {
  assert.ok(
    types.some((t) => e instanceof t),
    `expected ${types.map((t) => t.name).join('/')}, got ${String((e as Error)?.stack ?? e)}`,
  );
  const message = (e as Error).message;
  assert.ok(message.length > 0, 'a message');
  assert.ok(!/[\r\n]/.test(message), `one line: ${JSON.stringify(message.slice(0, 200))}`);
}

function trySettings(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv): void {
  try {
    const s = resolveSettings(flags, env);
    // what comes out obeys the cross-field rules
    assert.ok(s.probeTimeoutMs <= s.probeIntervalMs);
    assert.ok(s.mode === 'deployment' || s.nodeName !== '');
  } catch (e) {
    assertOneLine(e, [ConfigError]);
  }
}

describe('flags and environment variables, fuzzed', () => {
  it('parseCommandLine: arbitrary argv gives parsed args or one UsageError line', () => {
    const arg = fc.oneof(
      fc.constantFrom(
        ...FLAGS.map((f) => `--${f}`),
        'serve',
        'demo',
        'diagnose',
        'help',
        '--help',
        '-h',
        '--version',
        '--',
        '-',
        '--scenario',
        '--output',
        '--no-probes',
        '--=',
        '---x',
      ),
      fc.tuple(fc.constantFrom(...FLAGS), value).map(([f, v]) => `--${f}=${v}`),
      value,
    );
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 8 }), (argv) => {
        try {
          const a = parseCommandLine(argv);
          assert.ok(['serve', 'demo', 'diagnose'].includes(a.command));
        } catch (e) {
          assertOneLine(e, [UsageError]);
        }
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('resolveSettings: arbitrary flag and environment values give Settings or one ConfigError line', () => {
    const flagSet = fc.dictionary(fc.constantFrom(...FLAGS.filter((f) => f !== 'config' && f !== 'kubeconfig')), value, { maxKeys: 5 });
    const envSet = fc.dictionary(
      fc.constantFrom(...FLAGS.filter((f) => f !== 'config').map(envName), 'NODE_NAME', 'POD_NAMESPACE'),
      value,
      { maxKeys: 4 },
    );
    fc.assert(
      fc.property(flagSet, envSet, (flags, env) => trySettings(flags, env)),
      { numRuns: RUNS * 2 },
    );
  });
});

describe('config files, fuzzed', () => {
  const anyValue = fc.oneof(
    value,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(value, { maxLength: 3 }),
    fc.dictionary(value, value, { maxKeys: 3 }),
  );
  const settings = fc.dictionary(
    fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FILE_KEYS) }, fc.string({ maxLength: 12 })),
    anyValue,
    { maxKeys: 5 },
  );
  const fileText = fc.oneof(
    settings.map((o) => stringify(o)),
    settings.map((o) => JSON.stringify(o)),
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.constantFrom(
      '',
      '---\n---\n',
      '[]',
      '- a\n- b',
      '42',
      'null',
      '~',
      '{',
      'probeInterval: [',
      'a: &x\n  b: *x',
      '\uFEFFprobeInterval: 15s',
      '%YAML 9.9\n---\nx: 1',
      'probeInterval: !!binary abc',
    ),
  );

  let n = 0;
  it('resolveSettings --config FILE: Settings or one ConfigError line', () => {
    fc.assert(
      fc.property(fileText, (text) => {
        const file = join(dir, `c${n++ % 10}.yaml`);
        writeFileSync(file, text);
        trySettings({ config: file }, {});
      }),
      { numRuns: RUNS * 2 },
    );
  });
});

describe('the real CLI on bad input', () => {
  const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;
  function run(args: string[], env: Record<string, string> = {}) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: dir, ...env },
      timeout: 30_000,
    });
    return { code: r.status, stderr: r.stderr.trim() };
  }
  function assertExit2(r: ReturnType<typeof run>, what: string) {
    assert.equal(r.code, 2, `${what}: exit code 2, got ${r.code}: ${r.stderr}`);
    assert.equal(r.stderr.split('\n').length, 1, `${what}: one stderr line: ${r.stderr}`);
    assert.match(r.stderr, /^service-proxy-exporter: /);
    assert.doesNotMatch(r.stderr, /\bat \S+:\d+|Error:|TypeError|node:internal/, `${what}: no stack trace`);
  }

  it('exits 2 with one line for a binary config file, a list config, a multi-line flag value and a bad environment value', () => {
    const binary = join(dir, 'binary.yaml');
    writeFileSync(binary, Buffer.from([0xff, 0xfe, 0x00, 0x3a, 0x0a, 0x7b, 0x5b, 0x00, 0x22]));
    assertExit2(run(['serve', '--config', binary]), 'binary config file');
    const list = join(dir, 'list.yaml');
    writeFileSync(list, '- probeInterval: 15s\n- listen: :9808\n');
    assertExit2(run(['serve', '--config', list]), 'a YAML list');
    assertExit2(run(['serve', '--probe-interval', '15s\n--listen=:1']), 'a flag value with a newline');
    assertExit2(run(['serve'], { SERVICE_PROXY_EXPORTER_MODE: 'dæmonset\r\n' }), 'a bad environment value');
  });
});
