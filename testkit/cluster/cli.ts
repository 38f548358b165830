// `npm run cluster -- up [--nodes N] [--proxy-mode iptables|nftables] [--dual-stack]`, `down`, `status`.
// `up` prints KUBECONFIG=<path> and KUBECTL=<path>, each alone on a line, so `eval "$(npm run -s cluster -- up)"`
// works; progress goes to stderr.
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, PROXY_MODES, type ProxyMode } from './config.js';
import { control, current, down, up, validateOptions } from './index.js';
import { ensureBinaries } from './binaries.js';

const USAGE = `usage: npm run cluster -- up [--nodes N] [--proxy-mode ${PROXY_MODES.join('|')}] [--dual-stack]
       npm run cluster -- down
       npm run cluster -- status
       npm run cluster -- build   (only build the upstream components)`;

function fail(line: string): never {
  process.stderr.write(`${line}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const [verb, ...rest] = process.argv.slice(2);
  if (verb === 'up') {
    let values;
    try {
      ({ values } = parseArgs({
        args: rest,
        options: { nodes: { type: 'string' }, 'proxy-mode': { type: 'string' }, 'dual-stack': { type: 'boolean' } },
        strict: true,
      }));
    } catch (err) {
      fail(`cluster up: ${(err as Error).message}\n${USAGE}`);
    }
    const opts = {
      nodes: values.nodes === undefined ? DEFAULT_OPTIONS.nodes : Number(values.nodes),
      proxyMode: (values['proxy-mode'] ?? DEFAULT_OPTIONS.proxyMode) as ProxyMode,
      dualStack: values['dual-stack'] ?? DEFAULT_OPTIONS.dualStack,
    };
    const bad = validateOptions(opts);
    if (bad) fail(`cluster up: ${bad}`);
    try {
      const c = await up(opts);
      process.stdout.write(`KUBECONFIG=${c.kubeconfig}\nKUBECTL=${c.kubectl}\n`);
    } catch (err) {
      process.stderr.write(`cluster up: ${(err as Error).message}\n`);
      process.exit(1);
    }
  } else if (verb === 'build') {
    // The upstream components only (CI runs this before the tests: the suite's network namespace cannot download).
    process.stdout.write(`${await ensureBinaries()}\n`);
  } else if (verb === 'down') {
    await down();
  } else if (verb === 'status') {
    const c = current();
    if (!c) {
      process.stdout.write('no cluster is up\n');
      process.exit(1);
    }
    process.stdout.write(`${JSON.stringify({ ...c, ...(await control('GET', '/status')) }, null, 2)}\n`);
  } else {
    fail(verb ? `cluster: unknown command ${verb}\n${USAGE}` : USAGE);
  }
}

void main();
