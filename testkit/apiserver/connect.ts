// The exporter's own API connection to a fake server, opened through a kubeconfig file exactly as
// in a cluster, for tests that drive one component (the canary, the Lease elector) rather than the
// whole exporter.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiConnection } from '../../src/cluster/connection.js';
import { openConnection } from '../../src/cluster/kubeconfig.js';
import { writeKubeconfig } from './kubeconfig.js';

export interface FakeApiConnection {
  conn: ApiConnection;
  /** closes the connection and removes its kubeconfig; the server stays up */
  close(): void;
}

export async function connectTo(apiUrl: string): Promise<FakeApiConnection> {
  const dir = mkdtempSync(join(tmpdir(), 'spx-fake-conn-'));
  writeKubeconfig(apiUrl, join(dir, 'kubeconfig'));
  const conn = await openConnection(join(dir, 'kubeconfig'));
  return {
    conn,
    close: () => {
      conn.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
