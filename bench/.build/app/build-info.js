// Version and revision for --version and service_proxy_exporter_build_info. The revision comes
// from the environment the image was built with (REVISION build arg), else git, else "unknown".
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
let cached;
/** The package root: the folder holding package.json, from src/ under tsx or dist/ when built. */
export function packageRoot() {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 5; i++) {
        try {
            const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
            if (pkg.name === 'service-proxy-exporter')
                return dir;
        }
        catch {
            // not here; go up
        }
        dir = dirname(dir);
    }
    return process.cwd();
}
export function buildInfo() {
    if (cached)
        return cached;
    const root = packageRoot();
    let version = '0.0.0';
    try {
        version = String(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version ?? version);
    }
    catch {
        // keep the placeholder: a build without package.json is broken anyway and says so elsewhere
    }
    let revision = process.env.SERVICE_PROXY_EXPORTER_REVISION ?? '';
    if (!revision) {
        try {
            revision = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 })
                .toString()
                .trim();
        }
        catch {
            revision = 'unknown';
        }
    }
    cached = { version, revision: revision || 'unknown', nodejsVersion: process.version };
    return cached;
}
