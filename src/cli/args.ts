// Command line: `service-proxy-exporter [serve|demo|diagnose] [flags]`. Parsing only; every
// failure is a UsageError whose message is the one line the user sees before exit code 2.
import { parseArgs } from 'node:util';
import { OPTIONS, envName } from '../config/options.js';
import { singleLine } from '../config/load.js';

export class UsageError extends Error {
  constructor(message: string) {
    super(singleLine(message));
  }
}

export const COMMANDS = ['serve', 'demo', 'diagnose'] as const;
export type Command = (typeof COMMANDS)[number];

export interface CommandFlag {
  type: 'string' | 'boolean';
  /** what a string flag takes, for --help */
  valueName?: string;
  description: string;
}

/** Flags a command takes beyond the shared settings: what is accepted and what --help lists. */
export const COMMAND_FLAGS: Record<Command, Record<string, CommandFlag>> = {
  serve: {},
  demo: {
    scenario: { type: 'string', valueName: 'NAME', description: 'the simulated cluster (default cilium-kpr; a wrong name lists them)' },
  },
  diagnose: {
    output: { type: 'string', valueName: 'text|json', description: 'report format (default text)' },
    'no-probes': { type: 'boolean', description: 'skip the data-path probes' },
    'no-color': { type: 'boolean', description: 'plain text even on a terminal (also NO_COLOR)' },
    'force-probes': {
      type: 'boolean',
      description: `probe even outside the cluster, where Service VIPs are usually unreachable (also ${envName('force-probes')}=true)`,
    },
  },
};

export interface ParsedArgs {
  command: Command;
  help: boolean;
  version: boolean;
  /** string-valued flags, by long name */
  flags: Record<string, string | undefined>;
  switches: Record<string, boolean>;
}

export function parseCommandLine(argv: string[]): ParsedArgs {
  const first = argv[0];
  let command: Command = 'serve';
  let rest = argv;
  if (first !== undefined && !first.startsWith('-')) {
    if (first === 'help') return { command: 'serve', help: true, version: false, flags: {}, switches: {} };
    if (!(COMMANDS as readonly string[]).includes(first)) {
      throw new UsageError(`unknown command "${first}"; commands: ${COMMANDS.join(', ')} (see --help)`);
    }
    command = first as Command;
    rest = argv.slice(1);
  }
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  };
  for (const o of OPTIONS) if ('flag' in o && o.flag) options[o.flag] = { type: 'string' };
  const allCommandFlags = new Set(Object.values(COMMAND_FLAGS).flatMap((f) => Object.keys(f)));
  for (const name of allCommandFlags) {
    const type = Object.values(COMMAND_FLAGS).find((f) => f[name])![name]!.type;
    options[name] = { type };
  }
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options, strict: true, allowPositionals: true }) as {
      values: Record<string, string | boolean | undefined>;
      positionals: string[];
    });
  } catch (e) {
    throw new UsageError(oneLine((e as Error).message));
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (see --help)`);
  for (const name of allCommandFlags) {
    if (values[name] !== undefined && !COMMAND_FLAGS[command][name]) {
      const owner = COMMANDS.find((c) => COMMAND_FLAGS[c][name]);
      throw new UsageError(`--${name}: only valid for "${owner}"`);
    }
  }
  const flags: Record<string, string | undefined> = {};
  const switches: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(values)) {
    if (typeof v === 'string') flags[k] = v;
    else if (typeof v === 'boolean') switches[k] = v;
  }
  return { command, help: switches.help === true, version: switches.version === true, flags, switches };
}

/** parseArgs' messages carry hints over several lines; keep the first sentence, on one line. */
function oneLine(message: string): string {
  const m = /^Unknown option '([^']+)'/.exec(message);
  if (m) return `unknown flag ${m[1]} (see --help)`;
  const missing = /^Option '([^']+?)(?: <value>)?' argument missing/.exec(message);
  if (missing) return `${missing[1].split(',').pop()!.trim()}: needs a value`;
  return message.split('\n')[0]!.replace(/\s+/g, ' ');
}
