// --web-config-file: TLS and basic authentication for the HTTP server, in the web configuration format
// every Prometheus exporter built on exporter-toolkit reads (node_exporter and blackbox_exporter
// `--web.config.file`; https://github.com/prometheus/exporter-toolkit/blob/master/docs/web-configuration.md),
// so one file and one habit serve them all. Parsing is pure (text in, config or one-line error out);
// reading the file is the thin shell below.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './load.js';

export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** exporter-toolkit's names → Node's (tls.createSecureContext minVersion/maxVersion). */
export const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
export type TlsVersionName = keyof typeof TLS_VERSIONS;

export interface TlsServerConfig {
  /** absolute paths (relative ones are resolved against the web config file's directory, as exporter-toolkit does) */
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
  clientAuthType: ClientAuthType;
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName;
}

export interface WebConfig {
  /** the file it came from */
  file: string;
  /** absent: plain HTTP */
  tls?: TlsServerConfig;
  /** user → bcrypt hash; empty: no authentication */
  basicAuthUsers: Record<string, string>;
}

// What exporter-toolkit accepts but this exporter does not implement: named, so the error says so
// instead of calling a valid exporter-toolkit key unknown.
const NOT_IMPLEMENTED = {
  tls: ['cert', 'key', 'client_ca', 'client_allowed_sans', 'cipher_suites', 'prefer_server_cipher_suites', 'curve_preferences'],
  top: ['http_server_config', 'rate_limit'],
};

// bcrypt's modular crypt format: $2a$/$2b$/$2y$ (htpasswd writes 2y), two-digit cost, 53 characters of salt and hash.
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

const versionName = z.enum(Object.keys(TLS_VERSIONS) as [TlsVersionName, ...TlsVersionName[]], {
  error: (i) => `${JSON.stringify(i.input)} is not a TLS version; use one of ${Object.keys(TLS_VERSIONS).join(', ')}`,
});

const tlsSchema = z.strictObject({
  cert_file: z.string().optional(),
  key_file: z.string().optional(),
  client_ca_file: z.string().optional(),
  client_auth_type: z
    .enum(CLIENT_AUTH_TYPES, {
      error: (i) => `${JSON.stringify(i.input)} is not a client auth type; use one of ${CLIENT_AUTH_TYPES.join(', ')}`,
    })
    .optional(),
  min_version: versionName.optional(),
  max_version: versionName.optional(),
});

const fileSchema = z.strictObject({
  tls_server_config: tlsSchema.nullish(),
  basic_auth_users: z
    .record(
      z.string(),
      z.string().regex(BCRYPT, 'not a bcrypt hash; make one with htpasswd -nBC 10 "" | tr -d \':\\n\' (it starts with $2y$10$)'),
    )
    .nullish(),
});

export class WebConfigError extends Error {}

function fieldPath(p: readonly PropertyKey[]): string {
  return p.map(String).join('.');
}

/** The one-line reason a zod issue gives, with the field it is about. */
function explain(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const parent = fieldPath(issue.path);
    const key = issue.keys[0]!;
    const where = parent ? `${parent}.${key}` : key;
    const known = parent === 'tls_server_config' ? NOT_IMPLEMENTED.tls : parent === '' ? NOT_IMPLEMENTED.top : [];
    return known.includes(key)
      ? `${where}: not supported by service-proxy-exporter; remove it`
      : `${where}: unknown field; known: ${parent === 'tls_server_config' ? Object.keys(tlsSchema.shape).join(', ') : Object.keys(fileSchema.shape).join(', ')}`;
  }
  const where = fieldPath(issue.path) || '(file)';
  if (issue.code === 'invalid_type')
    return `${where}: expected ${issue.expected === 'record' || issue.expected === 'object' ? 'a mapping' : issue.expected}`;
  return `${where}: ${issue.message}`;
}

/** Parse the text of a web config file; `file` locates relative paths and names the file in errors. */
export function parseWebConfig(text: string, file: string): WebConfig {
  let doc: unknown;
  try {
    doc = text.trim() === '' ? {} : parseYaml(text, { logLevel: 'error' });
  } catch (e) {
    throw new WebConfigError(`${file} is not valid YAML (${String((e as Error).message).split('\n')[0]})`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new WebConfigError(`${file} must be a mapping with tls_server_config and/or basic_auth_users`);
  }
  const r = fileSchema.safeParse(doc);
  if (!r.success) throw new WebConfigError(`${file}: ${explain(r.error.issues[0]!)}`);
  const out: WebConfig = { file, basicAuthUsers: { ...(r.data.basic_auth_users ?? {}) } };
  const t = r.data.tls_server_config;
  const dir = path.dirname(path.resolve(file));
  const abs = (p: string) => path.resolve(dir, p);
  // As exporter-toolkit: no cert_file and no key_file means no TLS (a file with only basic_auth_users).
  if (t && (t.cert_file || t.key_file)) {
    if (!t.cert_file) throw new WebConfigError(`${file}: tls_server_config.cert_file: missing; set it next to key_file`);
    if (!t.key_file) throw new WebConfigError(`${file}: tls_server_config.key_file: missing; set it next to cert_file`);
    const clientAuthType = t.client_auth_type ?? 'NoClientCert';
    if (t.client_ca_file && clientAuthType === 'NoClientCert') {
      throw new WebConfigError(
        `${file}: tls_server_config.client_ca_file: set without client_auth_type; add client_auth_type: RequireAndVerifyClientCert (or remove client_ca_file)`,
      );
    }
    if (!t.client_ca_file && (clientAuthType === 'VerifyClientCertIfGiven' || clientAuthType === 'RequireAndVerifyClientCert')) {
      throw new WebConfigError(
        `${file}: tls_server_config.client_ca_file: required with client_auth_type ${clientAuthType}; set the CA that signs client certificates`,
      );
    }
    const minVersion = t.min_version ?? 'TLS12';
    const maxVersion = t.max_version ?? 'TLS13';
    const order = Object.keys(TLS_VERSIONS);
    if (order.indexOf(minVersion) > order.indexOf(maxVersion)) {
      throw new WebConfigError(`${file}: tls_server_config.min_version: ${minVersion} is above max_version ${maxVersion}; lower it`);
    }
    out.tls = {
      certFile: abs(t.cert_file),
      keyFile: abs(t.key_file),
      ...(t.client_ca_file ? { clientCaFile: abs(t.client_ca_file) } : {}),
      clientAuthType,
      minVersion,
      maxVersion,
    };
  } else if (t && (t.client_ca_file || t.client_auth_type)) {
    throw new WebConfigError(
      `${file}: tls_server_config: client settings without cert_file and key_file; set both (or remove tls_server_config)`,
    );
  }
  return out;
}

/** Read and parse the file; every failure is a WebConfigError of one line. */
export function readWebConfig(file: string): WebConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new WebConfigError(`cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}); pass an existing web config file`);
  }
  return parseWebConfig(text, file);
}

/** --web-config-file resolved: undefined without one, a ConfigError (one line, exit 2) when it is bad. */
export function loadWebConfig(file: string): WebConfig | undefined {
  if (!file) return undefined;
  try {
    return readWebConfig(file);
  } catch (e) {
    if (e instanceof WebConfigError) throw new ConfigError(`--web-config-file: ${e.message}`);
    throw e;
  }
}

/** Whether a client without a certificate can complete a request (kubelet probes, the me_service probe). */
export function acceptsClientsWithoutCert(c: WebConfig): boolean {
  return !c.tls || !['RequireAnyClientCert', 'RequireAndVerifyClientCert'].includes(c.tls.clientAuthType);
}
