// The Dockerfile as the deploy tests see it: parsed with dockerfile-ast (never regexes) into stages,
// plus the .dockerignore matcher the build-steps test uses to assemble the build context.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { ROOT } from './helpers.js';

export interface Stage {
  index: number;
  /** the `AS name`, if any */
  name: string | null;
  /** the FROM image as written (after ARG substitution) */
  image: string;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  stages: Stage[];
  /** ARGs before the first FROM, and each stage's ARGs, with their defaults */
  argDefaults: Map<string, string>;
}

export const DOCKERFILE = path.join(ROOT, 'Dockerfile');
export const DOCKERIGNORE = path.join(ROOT, '.dockerignore');

export function parseDockerfile(text = readFileSync(DOCKERFILE, 'utf8')): ParsedDockerfile {
  const df = DockerfileParser.parse(text);
  const argDefaults = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of df.getInstructions()) {
    const kw = ins.getKeyword();
    if (kw === 'ARG') {
      const prop = (ins as unknown as { getProperty(): { getName(): string; getValue(): string | null } | null }).getProperty();
      if (prop) argDefaults.set(prop.getName(), prop.getValue() ?? '');
    }
    if (kw === 'FROM') {
      const from = ins as unknown as { getImage(): string | null; getBuildStage(): string | null };
      stages.push({ index: stages.length, name: from.getBuildStage(), image: from.getImage() ?? '', instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage) stage.instructions.push(ins);
  }
  return { stages, argDefaults };
}

export function keyword(ins: Instruction): string {
  return ins.getKeyword();
}

export function instructions(stage: Stage, kw: string): Instruction[] {
  return stage.instructions.filter((i) => i.getKeyword() === kw);
}

/** Flags (`--from=x`) of an instruction that has them. */
export function flags(ins: Instruction): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const getFlags = (ins as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] }).getFlags;
  for (const f of getFlags ? getFlags.call(ins) : []) out.set(f.getName(), f.getValue());
  return out;
}

/** Arguments as written, without the instruction's own flags (`COPY --from=`, `RUN --mount=`). */
export function args(ins: Instruction): string[] {
  return ins.getArguments().map((a) => a.getValue());
}

/** The exec-form (JSON array) strings of ENTRYPOINT/CMD/RUN, or null for the shell form. */
export function execForm(ins: Instruction): string[] | null {
  const getJSONStrings = (ins as unknown as { getJSONStrings?: () => { getJSONValue(): string }[] }).getJSONStrings;
  const strings = getJSONStrings ? getJSONStrings.call(ins) : [];
  if (strings.length === 0) return null;
  return strings.map((s) => s.getJSONValue());
}

/** LABEL key → value (unquoted). */
export function labels(stage: Stage): Map<string, string> {
  const out = new Map<string, string>();
  for (const ins of instructions(stage, 'LABEL')) {
    const props = (ins as unknown as { getProperties(): { getName(): string; getUnescapedValue(): string | null }[] }).getProperties();
    for (const p of props) {
      const v = p.getUnescapedValue() ?? '';
      out.set(p.getName(), v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v);
    }
  }
  return out;
}

/** Expand ${VAR} / $VAR with the ARG defaults. */
export function expand(text: string, vars: Map<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => vars.get((a ?? b)!) ?? m);
}

// ---- .dockerignore ---------------------------------------------------------------------------

interface IgnorePattern {
  negate: boolean;
  re: RegExp;
  text: string;
}

function globToRegExp(pattern: string): RegExp {
  let re = '';
  const parts = pattern.split('/');
  parts.forEach((part, i) => {
    if (part === '**') {
      re += i === parts.length - 1 ? '.*' : '(?:.*/)?';
      return;
    }
    for (const ch of part) {
      if (ch === '*') re += '[^/]*';
      else if (ch === '?') re += '[^/]';
      else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
    if (i < parts.length - 1) re += '/';
  });
  return new RegExp(`^${re}$`);
}

/** Docker's .dockerignore semantics: patterns in order, the last one matching a path or a parent wins. */
export class DockerIgnore {
  readonly patterns: IgnorePattern[];

  constructor(text: string) {
    this.patterns = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const negate = l.startsWith('!');
        const p = path.posix
          .normalize((negate ? l.slice(1) : l).trim())
          .replace(/^\/+/, '')
          .replace(/\/+$/, '');
        return { negate, re: globToRegExp(p), text: p };
      });
  }

  /** Whether a context-relative posix path is left out of the build context. */
  excludes(rel: string): boolean {
    const candidates: string[] = [];
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) candidates.push(parts.slice(0, i).join('/'));
    let excluded = false;
    for (const p of this.patterns) if (candidates.some((c) => p.re.test(c))) excluded = !p.negate;
    return excluded;
  }

  /** Whether anything below an excluded directory could be re-included by a `!` pattern. */
  mayReinclude(dir: string): boolean {
    return this.patterns.some((p) => p.negate && (p.text.startsWith(dir + '/') || p.text.startsWith('**')));
  }
}
