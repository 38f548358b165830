// Running the host's tools (ip, openssl, nft, iptables) from the test bed: a failure throws with the command and its
// stderr, because a half-made network is worse than a clear stop.
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly code: number | null,
  ) {
    super(`${command}: ${stderr.trim() || `exit ${code}`}`);
  }
}

export async function run(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  if (opts.input !== undefined) return runSync(cmd, args, opts);
  try {
    const { stdout } = await execFileP(cmd, args, { env: opts.env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; code?: number };
    throw new CommandError([cmd, ...args].join(' '), e.stderr ?? String(err), typeof e.code === 'number' ? e.code : null);
  }
}

export function runSync(cmd: string, args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { input: opts.input, env: opts.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new CommandError([cmd, ...args].join(' '), String(r.error), null);
  if (r.status !== 0) throw new CommandError([cmd, ...args].join(' '), r.stderr, r.status);
  return r.stdout;
}

/** Like run, but a failure is ignored: for cleanup, where the thing may already be gone. */
export async function tryRun(cmd: string, args: readonly string[]): Promise<boolean> {
  try {
    await run(cmd, args);
    return true;
  } catch {
    return false;
  }
}

/** A command inside a network namespace. */
export function inNetns(netns: string, cmd: string, args: readonly string[]): Promise<string> {
  return run('ip', ['netns', 'exec', netns, cmd, ...args]);
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
