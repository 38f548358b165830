// For node:test: the `skip` value of a real-cluster suite. Undefined when it can run; a message when it cannot —
// except under CI=true, where not being able to run is itself the failure.
export function e2eSkip(why: string | undefined): string | undefined {
  if (!why) return undefined;
  if (process.env.CI === 'true') throw new Error(`real-cluster test cannot run under CI=true: ${why}`);
  return `real-cluster test skipped: ${why}`;
}
