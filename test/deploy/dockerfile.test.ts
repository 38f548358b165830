// The Dockerfile's rules, checked on its parse tree (dockerfile-ast): multi-stage, production
// dependencies only at run time, distroless (no shell), numeric non-root USER, EXPOSE 9808, OCI labels.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  DockerIgnore,
  DOCKERIGNORE,
  args,
  execForm,
  expand,
  flags,
  instructions,
  labels,
  parseDockerfile,
  type Stage,
} from './dockerfile-model.js';
import { ROOT } from './helpers.js';

const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; license: string };
const { stages, argDefaults } = parseDockerfile();
const final = stages.at(-1)!;

function stageNamed(name: string): Stage {
  const s = stages.find((x) => x.name === name);
  assert.ok(s, `stage ${name}`);
  return s;
}

function runs(stage: Stage): string[] {
  return instructions(stage, 'RUN').map((i) => (execForm(i) ?? args(i)).join(' '));
}

/** The stage a `COPY --from=` names (by name or index). */
function fromStage(ref: string): Stage {
  const s = stages.find((x) => x.name === ref || String(x.index) === ref);
  assert.ok(s, `COPY --from=${ref} names a stage of this Dockerfile`);
  return s;
}

describe('Dockerfile', () => {
  it('is multi-stage: a build stage with dev dependencies, a production-dependencies stage, a runtime stage', () => {
    assert.ok(stages.length >= 3, `${stages.length} stages`);
    const names = new Set(stages.map((s) => s.name).filter(Boolean));
    assert.equal(names.size, stages.length - (final.name ? 0 : 1), 'every build stage is named');
    const builds = stages.filter((s) => runs(s).some((r) => /\bnpm run build\b/.test(r)));
    assert.equal(builds.length, 1, 'one stage runs npm run build');
    assert.ok(
      runs(builds[0]!).some((r) => /^npm ci\b/.test(r) && !r.includes('--omit=dev')),
      'the build stage installs dev dependencies',
    );
    const prod = stages.filter((s) => runs(s).some((r) => /^npm ci\b.*--omit=dev/.test(r)));
    assert.equal(prod.length, 1, 'one stage runs npm ci --omit=dev');
    assert.notEqual(prod[0], builds[0], 'production dependencies are installed in their own stage');
  });

  it('build stages use a small official Node image; the runtime is distroless Node.js as nonroot', () => {
    for (const s of stages.slice(0, -1)) assert.match(s.image, /^node:\d+-(bookworm|bullseye|trixie)-slim$|^node:\d+-alpine/, s.image);
    assert.match(final.image, /^gcr\.io\/distroless\/nodejs\d+-debian\d+:nonroot$/);
    const major = (img: string) => /(?:node:|nodejs)(\d+)/.exec(img)?.[1];
    for (const s of stages) assert.equal(major(s.image), major(final.image), `${s.image}: same Node major as the runtime`);
  });

  it('the runtime stage has no shell step: no RUN, exec-form ENTRYPOINT and CMD', () => {
    assert.equal(instructions(final, 'RUN').length, 0, 'distroless has no shell to RUN with');
    const ep = instructions(final, 'ENTRYPOINT');
    assert.equal(ep.length, 1);
    assert.deepEqual(execForm(ep[0]!), ['/nodejs/bin/node', '/app/dist/cli/main.js']);
    const cmd = instructions(final, 'CMD');
    assert.equal(cmd.length, 1);
    assert.deepEqual(execForm(cmd[0]!), ['serve']);
    for (const s of stages)
      for (const kw of ['ENTRYPOINT', 'CMD', 'SHELL']) {
        for (const i of instructions(s, kw)) if (kw !== 'SHELL') assert.ok(execForm(i), `${kw} in stage ${s.name}: exec form`);
      }
    assert.equal(stages.flatMap((s) => instructions(s, 'SHELL')).length, 0);
  });

  it('runs as a numeric non-root user', () => {
    const users = instructions(final, 'USER');
    assert.ok(users.length > 0, 'USER in the runtime stage');
    const user = args(users.at(-1)!).join(' ');
    const m = /^(\d+)(?::(\d+))?$/.exec(user);
    assert.ok(m, `USER ${user} is numeric (Kubernetes runAsNonRoot can only verify numeric users)`);
    assert.notEqual(Number(m[1]), 0);
    if (m[2] !== undefined) assert.notEqual(Number(m[2]), 0);
    assert.equal(user, '65532:65532', 'the same UID/GID as the pod securityContext');
  });

  it('exposes the metrics port 9808', () => {
    const ports = instructions(final, 'EXPOSE').flatMap((i) => args(i));
    assert.deepEqual(ports, ['9808']);
  });

  it('carries the OCI labels, the version matching package.json', () => {
    const l = labels(final);
    for (const k of ['source', 'title', 'description', 'licenses', 'version']) {
      assert.ok(l.get(`org.opencontainers.image.${k}`), `org.opencontainers.image.${k}`);
    }
    assert.equal(expand(l.get('org.opencontainers.image.version')!, argDefaults), PKG.version);
    assert.equal(l.get('org.opencontainers.image.licenses'), PKG.license);
    assert.match(l.get('org.opencontainers.image.source')!, /^https:\/\//);
  });

  it('no ADD (never remote URLs or archives); COPY only from the context or an earlier stage', () => {
    for (const s of stages) {
      assert.equal(instructions(s, 'ADD').length, 0, `ADD in stage ${s.name}`);
      for (const c of instructions(s, 'COPY')) {
        for (const a of args(c)) assert.ok(!/^[a-z]+:\/\//i.test(a), `COPY ${a}: no URLs`);
        const from = flags(c).get('from');
        if (from != null) assert.ok(fromStage(from).index < s.index, `COPY --from=${from} is an earlier stage`);
      }
    }
  });

  it('the runtime stage gets node_modules only from the production-dependencies stage', () => {
    const prod = stages.find((s) => runs(s).some((r) => /^npm ci\b.*--omit=dev/.test(r)))!;
    const copies = instructions(final, 'COPY');
    const nodeModules = copies.filter((c) => args(c).some((a) => a.includes('node_modules')));
    assert.equal(nodeModules.length, 1, 'one COPY of node_modules');
    assert.equal(fromStage(flags(nodeModules[0]!).get('from') ?? '').index, prod.index, 'node_modules come from the omit-dev stage');
    for (const c of copies) {
      const from = flags(c).get('from');
      assert.ok(from != null, `COPY ${args(c).join(' ')}: the runtime copies built output, not the context`);
      if (fromStage(from).index !== prod.index) {
        assert.ok(
          !args(c).some((a) => a === '.' || a.endsWith('/app') || a.endsWith('/app/')),
          'never the whole build directory (dev dependencies)',
        );
      }
    }
    const dests = copies.map((c) => args(c).at(-1));
    assert.ok(
      dests.some((d) => d === './dist' || d === '/app/dist'),
      'dist/ is copied',
    );
  });

  it('the build stage compiles only what tsconfig.build.json needs, copied after npm ci (layer caching)', () => {
    const build = stageNamed('build');
    const order = build.instructions.map((i) => `${i.getKeyword()} ${(execForm(i) ?? args(i)).join(' ')}`);
    const ci = order.findIndex((x) => x.startsWith('RUN npm ci'));
    const src = order.findIndex((x) => x.startsWith('COPY src'));
    assert.ok(ci >= 0 && src > ci, 'sources are copied after dependencies are installed');
  });

  it('.dockerignore keeps local state out of the build context', () => {
    const ig = new DockerIgnore(readFileSync(DOCKERIGNORE, 'utf8'));
    for (const p of [
      'node_modules/yaml/package.json',
      'dist/cli/main.js',
      '.git/config',
      '.env',
      'kubeconfig',
      'test/deploy/x.test.ts',
      'testkit/demo/demo.ts',
      'testkit/scenarios/cilium-kpr.yaml',
      'npm-debug.log',
    ]) {
      assert.ok(ig.excludes(p), `${p} excluded`);
    }
    for (const p of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/cli/main.ts']) {
      assert.ok(!ig.excludes(p), `${p} included`);
    }
  });
});
