// The HTTP surface: /metrics, /healthz, /readyz, /diagnose, and the status page at /. Handlers
// only read cached state, so a slow API server or a hung probe never slows a scrape.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express, { type Router } from 'express';
import type { ListenAddress } from '../config/listen.js';
import type { WebConfig } from '../config/web-config.js';
import { silentLogger, type Logger } from '../log.js';
import { createWebServer } from './web.js';

/** What /metrics serves (src/metrics/exposition.ts). */
export interface MetricsSource {
  contentType: string;
  render(): Promise<string>;
}

export interface HttpHandlers {
  metrics: MetricsSource;
  readiness(): { ready: boolean; waitingFor: string[] };
  statusPage(): string;
  diagnose(): unknown;
  /** extra routes (the demo's break/heal controls) */
  extra?: Router;
}

export function createApp(h: HttpHandlers): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req, res) => {
    try {
      const body = await h.metrics.render();
      res.type(h.metrics.contentType).send(body);
    } catch (e) {
      res
        .status(500)
        .type('text/plain')
        .send(`error collecting metrics: ${(e as Error).message}\n`);
    }
  });
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_req, res) => {
    const r = h.readiness();
    if (r.ready) res.type('text/plain').send('ok\n');
    else
      res
        .status(503)
        .type('text/plain')
        .send(`not ready: waiting for ${r.waitingFor.join(', ')}\n`);
  });
  app.get('/diagnose', (_req, res) => {
    res.json(h.diagnose());
  });
  app.get('/', (_req, res) => {
    res.type('html').send(h.statusPage());
  });
  if (h.extra) app.use(h.extra);
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found; try /metrics, /healthz, /readyz, /diagnose or /\n');
  });
  return app;
}

export interface RunningServer {
  url: string;
  /** an https.Server with tls_server_config */
  server: Server;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** --web-config-file: TLS and basic auth (src/http/web.ts) */
  web?: WebConfig;
  /** where certificate reloads are logged */
  log?: Logger;
  /** how often certificate files and the web config are re-read */
  reloadIntervalMs?: number;
}

/** Listen; close() stops accepting, lets in-flight requests finish, then drops idle keep-alives. */
export async function listen(app: express.Express, addr: ListenAddress, o: ListenOptions = {}): Promise<RunningServer> {
  const web = createWebServer(app, o.web, {
    log: o.log ?? silentLogger(),
    ...(o.reloadIntervalMs !== undefined ? { reloadIntervalMs: o.reloadIntervalMs } : {}),
  });
  const server = web.server as Server;
  if (addr.host) server.listen(addr.port, addr.host);
  else server.listen(addr.port);
  const sockets = new Set<Socket>();
  // 'secureConnection' would miss sockets still in their handshake
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await once(server, 'listening');
  const a = server.address() as AddressInfo;
  const host = !addr.host || addr.host === '0.0.0.0' || addr.host === '::' ? '127.0.0.1' : addr.host;
  const url = `${web.scheme}://${host.includes(':') ? `[${host}]` : host}:${a.port}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        web.stop();
        server.close(() => resolve());
        server.closeIdleConnections();
        const force = setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, 1000);
        force.unref();
      }),
  };
}
