// --help is generated from the two flag tables (the settings' OPTIONS and the commands' own
// COMMAND_FLAGS), and the parser accepts exactly what those tables hold.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OPTIONS } from '../../src/config/options.js';
import { COMMAND_FLAGS, COMMANDS, parseCommandLine, UsageError } from '../../src/cli/args.js';
import { usage } from '../../src/cli/usage.js';

describe('--help', () => {
  const text = usage();

  it('lists every setting flag and every command flag', () => {
    for (const o of OPTIONS) if ('flag' in o && o.flag) assert.match(text, new RegExp(`--${o.flag}\\b`), `--${o.flag}`);
    for (const c of COMMANDS)
      for (const name of Object.keys(COMMAND_FLAGS[c])) assert.match(text, new RegExp(`${c} --${name}\\b`), `${c} --${name}`);
    assert.match(text, /diagnose --no-color/);
    assert.match(text, /diagnose --force-probes/);
  });

  it('each command flag is accepted by its command and refused by the others, in one line', () => {
    for (const c of COMMANDS)
      for (const [name, f] of Object.entries(COMMAND_FLAGS[c])) {
        const argv = f.type === 'string' ? [`--${name}`, 'x'] : [`--${name}`];
        assert.doesNotThrow(() => parseCommandLine([c, ...argv]), `${c} --${name}`);
        for (const other of COMMANDS.filter((o) => o !== c))
          assert.throws(
            () => parseCommandLine([other, ...argv]),
            (e: Error) => e instanceof UsageError && e.message === `--${name}: only valid for "${c}"`,
          );
      }
  });

  it('refuses --api-listen, a flag nothing read', () => {
    assert.throws(() => parseCommandLine(['demo', '--api-listen', '127.0.0.1:0']), /unknown flag --api-listen/);
  });
});
