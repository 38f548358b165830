// A watch over node:http/https: GET ?watch=true, newline-delimited JSON events, handed one by one to
// `onEvent`. The contract is client-node's Watch.watch, which the reflector was written against:
// the promise resolves with an AbortController once the server answered 200 (a non-200 answer
// rejects with ApiError: `.statusCode`, `.body`); `done(err)` is called exactly once, with null when
// the stream ended cleanly (server-side timeoutSeconds) or was aborted by the caller, with an Error
// when the connection broke. A 410 Gone arrives as an ERROR event inside a 200 stream, as real API
// servers send it.
import type { ApiConnection, Query } from './connection.js';

export type WatchEventHandler = (type: string, object: unknown) => void;

export async function watch(
  conn: ApiConnection,
  path: string,
  query: Query,
  onEvent: WatchEventHandler,
  done: (err: Error | null) => void,
): Promise<AbortController> {
  const controller = new AbortController();
  let finished = false;
  const finish = (err: Error | null): void => {
    if (finished) return;
    finished = true;
    if (!controller.signal.aborted) controller.abort();
    done(err);
  };
  const res = await conn.stream(path, { ...query, watch: true }, controller.signal);
  controller.signal.addEventListener('abort', () => {
    finish(null);
    res.destroy();
  });
  res.setEncoding('utf8');
  let buf = '';
  res.on('data', (chunk: string) => {
    let from = buf.length;
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n', from)) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      from = 0;
      if (line.trim() === '') continue;
      let event: { type?: unknown; object?: unknown };
      try {
        event = JSON.parse(line);
      } catch {
        continue; // not an event (a proxy's noise): skip it, as client-node does
      }
      if (finished) return;
      onEvent(String(event?.type ?? ''), event?.object);
    }
  });
  res.on('end', () => finish(null));
  res.on('error', (e) => finish(controller.signal.aborted ? null : e));
  res.on('close', () =>
    finish(res.complete || controller.signal.aborted ? null : new Error('watch connection closed before the stream ended')),
  );
  return controller;
}
