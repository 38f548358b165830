#!/usr/bin/env node
// Runs a command inside a fresh network namespace that has only loopback, so nothing the test suite or
// the benchmarks start can send a packet off the machine (a probe to a scenario's ClusterIP fails at
// once with ENETUNREACH instead of leaving through the default route). A private mount namespace with
// its own /run/netns keeps the namespaces that data-plane tests create (ip netns add) out of the host's.
//
//   node scripts/isolate.mjs <command> [args...]
//
// Needs Linux, root, unshare (util-linux) and ip (iproute2). Where that is missing it says so once and
// runs the command as it is. Already inside (SPX_NETNS_ISOLATED=1): runs the command as it is.
import { spawn, spawnSync } from 'node:child_process';

const argv = process.argv.slice(2);
if (argv.length === 0) {
  console.error('usage: node scripts/isolate.mjs <command> [args...]');
  process.exit(2);
}

function cannotIsolate() {
  if (process.env.SPX_NETNS_ISOLATED === '1') return 'already isolated';
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root';
  for (const tool of ['unshare', 'ip']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) return `\`${tool}\` is missing`;
  }
  if (spawnSync('unshare', ['--net', 'true'], { stdio: 'ignore' }).status !== 0) return 'unshare --net is not permitted here';
  return undefined;
}

function run(cmd, args, env) {
  const child = spawn(cmd, args, { stdio: 'inherit', env });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const why = cannotIsolate();
if (why) {
  if (why !== 'already isolated')
    console.error(`note: running in the host network namespace (${why}); probes of scenario addresses may leave this machine`);
  run(argv[0], argv.slice(1), process.env);
} else {
  const inner = 'mkdir -p /run/netns && mount -t tmpfs spx-netns /run/netns && ip link set lo up && exec "$@"';
  run('unshare', ['--net', '--mount', '--propagation', 'private', 'sh', '-c', inner, 'isolate', ...argv], {
    ...process.env,
    SPX_NETNS_ISOLATED: '1',
  });
}
