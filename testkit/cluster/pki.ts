// The cluster's own CA and the certificates kubeadm would make, with the openssl CLI (Node has no X.509 writer).
// EC P-256 throughout: fast to make, and kube-apiserver signs ServiceAccount tokens with ES256 from such a key.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTER_DOMAIN, NET, type ClusterOptions } from './config.js';
import { run } from './exec.js';

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  saKey: string;
  saPub: string;
  client(name: string): { cert: string; key: string };
}

const CLIENTS: Record<string, { cn: string; o?: string }> = {
  admin: { cn: 'kubernetes-admin', o: 'system:masters' },
  'kube-controller-manager': { cn: 'system:kube-controller-manager' },
  'kube-scheduler': { cn: 'system:kube-scheduler' },
  // The process kubelet registers nodes and writes pod status for every node: it acts as an administrator rather than
  // as system:node:<name> (the Node authorizer would limit it to one node's objects).
  kubelet: { cn: 'testbed-kubelet', o: 'system:masters' },
};

async function key(path: string): Promise<void> {
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path]);
}

async function sign(dir: string, name: string, subject: string, ext: string): Promise<void> {
  const k = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  await key(k);
  await run('openssl', ['req', '-new', '-key', k, '-subj', subject, '-out', csr]);
  writeFileSync(extFile, ext);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-days',
    '30',
    '-sha256',
    '-extfile',
    extFile,
    '-out',
    join(dir, `${name}.crt`),
  ]);
}

export async function makePki(dir: string, opts: ClusterOptions): Promise<Pki> {
  mkdirSync(dir, { recursive: true });
  const p = (f: string) => join(dir, f);
  const pki: Pki = {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    apiserverCert: p('apiserver.crt'),
    apiserverKey: p('apiserver.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
    client: (name) => ({ cert: p(`${name}.crt`), key: p(`${name}.key`) }),
  };
  if (existsSync(p('done'))) return pki;

  await key(pki.caKey);
  await run('openssl', ['req', '-x509', '-new', '-key', pki.caKey, '-subj', '/CN=spe-testbed-ca', '-days', '30', '-out', pki.caCert]);
  const ips = ['127.0.0.1', NET.hostV4, NET.kubernetesServiceV4, ...(opts.dualStack ? [NET.hostV6, NET.kubernetesServiceV6] : [])];
  const dns = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${CLUSTER_DOMAIN}`];
  const san = [...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',');
  await sign(
    dir,
    'apiserver',
    '/CN=kube-apiserver',
    `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`,
  );
  for (const [name, { cn, o }] of Object.entries(CLIENTS)) {
    await sign(dir, name, `/CN=${cn}${o ? `/O=${o}` : ''}`, 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n');
  }
  await key(pki.saKey);
  await run('openssl', ['ec', '-in', pki.saKey, '-pubout', '-out', pki.saPub]);
  writeFileSync(p('done'), '');
  return pki;
}
