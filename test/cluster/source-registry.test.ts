// The source registry (SourceGroup) as the pipelines use it: sources declared once, and each
// subscriber woken only by changes of the sources it named.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import type { ApiConnection } from '../../src/cluster/connection.js';
import { RESOURCES } from '../../src/cluster/catalog.js';
import { SourceGroup } from '../../src/cluster/sources.js';
import { silentLogger } from '../../src/log.js';

// the sources are never started here: no connection is used
const NO_API = undefined as unknown as ApiConnection;
const spec = (name: string) => ({ name, ref: RESOURCES.services, slim: (o: unknown) => o });

test('a pipeline is woken by changes of its own sources only; a source declared twice is one', async () => {
  const group = new SourceGroup(NO_API, silentLogger(), { coalesceMs: 5 });
  group.declare(spec('services'));
  group.declare(spec('services'));
  group.declare(spec('daemonsets'));
  assert.deepEqual([...group.reflectors.keys()], ['services', 'daemonsets']);
  const woken: string[] = [];
  group.onChange(['daemonsets'], () => woken.push('detection'));
  group.onChange(['services'], () => woken.push('probes'));

  group.reflectors.get('services')!.emit('change');
  await once(group, 'change');
  assert.deepEqual(woken, ['probes']);

  group.reflectors.get('daemonsets')!.emit('change');
  group.reflectors.get('services')!.emit('change');
  await once(group, 'change');
  assert.deepEqual(woken, ['probes', 'detection', 'probes'], 'one coalesced wake-up each');
  await group.stop();
});
