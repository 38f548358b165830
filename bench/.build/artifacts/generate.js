// Write the generated artifacts, or with --check report the ones that are out of date and exit 1.
//
//   tsx src/artifacts/generate.ts          # (npm run generate) rewrite rules/, dashboards/, two manifests
//   tsx src/artifacts/generate.ts --check  # CI: exit 1 when a generated file differs from its source
//   --root DIR                              # operate on another checkout (tests)
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderArtifacts } from './render.js';
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Paths (repository-relative) whose content on disk differs from what the generator renders. */
export async function staleArtifacts(root = REPO_ROOT) {
    const stale = [];
    for (const [path, content] of renderArtifacts()) {
        const current = await readFile(resolve(root, path), 'utf8').catch(() => null);
        if (current !== content)
            stale.push(path);
    }
    return stale;
}
export async function writeArtifacts(root = REPO_ROOT) {
    const written = [];
    for (const [path, content] of renderArtifacts()) {
        const file = resolve(root, path);
        const current = await readFile(file, 'utf8').catch(() => null);
        if (current === content)
            continue;
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, content);
        written.push(path);
    }
    return written;
}
async function main(argv) {
    if (argv.includes('--help') || argv.includes('-h')) {
        console.log('usage: generate.ts [--check] [--root DIR]');
        return 0;
    }
    const rootFlag = argv.indexOf('--root');
    const root = rootFlag >= 0 && argv[rootFlag + 1] ? resolve(argv[rootFlag + 1]) : REPO_ROOT;
    if (argv.includes('--check')) {
        const stale = await staleArtifacts(root);
        for (const p of stale)
            console.error(`out of date: ${p}`);
        if (stale.length > 0) {
            console.error('run `npm run generate` and commit the result');
            return 1;
        }
        console.log('generated artifacts are up to date');
        return 0;
    }
    const written = await writeArtifacts(root);
    for (const p of written)
        console.log(`wrote ${p}`);
    if (written.length === 0)
        console.log('nothing to do: generated artifacts are up to date');
    return 0;
}
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    process.exitCode = await main(process.argv.slice(2));
}
