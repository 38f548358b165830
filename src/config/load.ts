// Settings from, in order of precedence: command-line flags, environment variables, the config
// file, defaults. Any bad value is a ConfigError: one line naming where it came from and the fix.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { OPTIONS, envName, type OptionDef, type Settings } from './options.js';
import { formatDuration } from './duration.js';

/** Control characters (a value with a newline) escaped, so an error stays the one line the user sees. */
export function singleLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(singleLine(message));
  }
}

/** The config-file key of an option: the flag in camelCase (probe-interval → probeInterval). */
export function fileKey(o: OptionDef): string {
  return o.flag ? o.flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) : o.key;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `--config: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}); pass an existing YAML or JSON file`,
    );
  }
  let doc: unknown;
  try {
    doc = text.trim() === '' ? {} : parseYaml(text, { logLevel: 'error' }); // no YAMLWarning lines on stderr
  } catch (e) {
    const first = String((e as Error).message).split('\n')[0];
    throw new ConfigError(`--config: ${path} is not valid YAML or JSON (${first})`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`--config: ${path} must hold a mapping of settings (e.g. "probeInterval: 15s")`);
  }
  return doc as Record<string, unknown>;
}

export function resolveSettings(flags: Record<string, string | undefined>, env: NodeJS.ProcessEnv): Settings {
  const out: Record<string, unknown> = {};
  const configPath = flags.config ?? env[envName('config')] ?? '';
  const file = configPath ? readConfigFile(configPath) : {};
  const known = new Set(OPTIONS.map((o) => fileKey(o as OptionDef)));
  for (const k of Object.keys(file)) {
    if (!known.has(k) && k !== 'config') {
      throw new ConfigError(`--config: ${configPath}: unknown setting "${k}"; known: ${[...known].join(', ')}`);
    }
  }
  for (const o0 of OPTIONS) {
    const o = o0 as OptionDef;
    const fromFlag = o.flag ? flags[o.flag] : undefined;
    if (fromFlag !== undefined) {
      out[o.key] = fromText(o, fromFlag, `--${o.flag}`);
      continue;
    }
    const envNames = [...(o.flag ? [envName(o.flag)] : []), ...(o.envAliases ?? [])];
    const envHit = envNames.find((n) => env[n] !== undefined && env[n] !== '');
    if (envHit) {
      out[o.key] = fromText(o, env[envHit]!, envHit);
      continue;
    }
    const key = fileKey(o);
    if (key in file && o.key !== 'config') {
      const r = o.schema.safeParse(typeof file[key] === 'number' && o.flag && isDurationKey(o) ? String(file[key]) : file[key]);
      if (!r.success) {
        const why = r.error.issues[0]?.message ?? 'invalid';
        throw new ConfigError(`--config: ${configPath}: "${key}": ${why}`);
      }
      out[o.key] = r.data;
      continue;
    }
    out[o.key] = o.default(env);
  }
  out.config = configPath;
  return check(out as unknown as Settings);
}

function isDurationKey(o: OptionDef): boolean {
  return o.key.endsWith('Ms');
}

function fromText(o: OptionDef, text: string, where: string): unknown {
  const r = o.parse(text);
  if (!r.ok) throw new ConfigError(`${where}: ${r.why}`);
  return r.value;
}

/** Rules across settings. */
function check(s: Settings): Settings {
  if (s.probeTimeoutMs > s.probeIntervalMs) {
    throw new ConfigError(
      `--probe-timeout: ${formatDuration(s.probeTimeoutMs)} is longer than --probe-interval ${formatDuration(s.probeIntervalMs)}; make the timeout at most the interval`,
    );
  }
  if (s.probeIntervalMs < 100) throw new ConfigError('--probe-interval: must be at least 100ms');
  if (s.probeTimeoutMs < 10) throw new ConfigError('--probe-timeout: must be at least 10ms');
  if (s.agentHealthTimeoutMs > s.agentHealthIntervalMs) {
    throw new ConfigError(
      `--agent-health-timeout: ${formatDuration(s.agentHealthTimeoutMs)} is longer than --agent-health-interval ${formatDuration(s.agentHealthIntervalMs)}; make the timeout at most the interval`,
    );
  }
  if (s.agentHealthIntervalMs < 100) throw new ConfigError('--agent-health-interval: must be at least 100ms');
  if (s.agentHealthTimeoutMs < 10) throw new ConfigError('--agent-health-timeout: must be at least 10ms');
  if (s.sourceGracePeriodMs < 0) throw new ConfigError('--source-grace-period: must not be negative');
  if (s.canaryIntervalMs < 1000) throw new ConfigError('--canary-interval: must be at least 1s');
  if (s.canaryPollMs < 10 || s.canaryPollMs > 10_000) throw new ConfigError('--canary-poll: must be from 10ms to 10s');
  if (s.canaryPollMs >= s.canaryIntervalMs) {
    throw new ConfigError(
      `--canary-poll: ${formatDuration(s.canaryPollMs)} is not shorter than --canary-interval ${formatDuration(s.canaryIntervalMs)}; poll more often than the canary changes`,
    );
  }
  if (s.canary === 'on' && s.canaryPorts.includes(s.listen.port)) {
    throw new ConfigError(`--canary-ports: ${s.canaryPorts.join(',')} includes the --listen port ${s.listen.port}; choose two other ports`);
  }
  if (s.mode === 'daemonset' && !s.nodeName) {
    throw new ConfigError('--node-name: required with --mode daemonset; set it from the downward API (env NODE_NAME from spec.nodeName)');
  }
  return s;
}
