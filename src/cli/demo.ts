// `demo` runs the exporter against the testkit's simulated cluster (testkit/demo). The testkit is
// test machinery, not part of the build or the image, so its module is looked up at run time by a
// computed specifier (a literal would pull testkit/ into dist/): a checkout run through tsx
// (`npm run demo`) has it, dist/ and the image do not.
import type { ParsedArgs } from './args.js';

/** Relative to this module; the same path from src/cli (tsx) and dist/cli (node). */
const TESTKIT_DEMO = '../../testkit/demo/command.js';

export const DEMO_NEEDS_CHECKOUT =
  'demo: the demo runs from a source checkout (`npm ci && npm run demo`); this build carries the exporter only';

interface DemoModule {
  demoCommand(args: ParsedArgs): Promise<number>;
}

export async function demoCommand(args: ParsedArgs): Promise<number> {
  let demo: DemoModule;
  try {
    demo = (await import(TESTKIT_DEMO)) as DemoModule;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ERR_UNKNOWN_FILE_EXTENSION: dist/ run by plain node in a checkout finds the .ts but cannot load it
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_UNKNOWN_FILE_EXTENSION') && String(e).includes('testkit/demo/command')) {
      process.stderr.write(`service-proxy-exporter: ${DEMO_NEEDS_CHECKOUT}\n`);
      return 2;
    }
    throw e;
  }
  return demo.demoCommand(args);
}
