// The /metrics scraper as its own process, the way Prometheus scrapes: sequential GETs over one
// keep-alive connection, latency from request to the last body byte. Run by bench/run.ts so the
// bench process's own work (fake API server, load generator) does not add to the latencies.
//   node bench/scraper.mjs <exporter url> <count>   → one JSON line: { latenciesMs, bytes, body }
const [url, countArg] = process.argv.slice(2);
const count = Number(countArg);
const latenciesMs = [];
let body = '';
for (let i = 0; i < count; i++) {
  const t = performance.now();
  const r = await fetch(`${url}/metrics`);
  body = await r.text();
  latenciesMs.push(performance.now() - t);
}
process.stdout.write(JSON.stringify({ latenciesMs, bytes: Buffer.byteLength(body), body }) + '\n');
