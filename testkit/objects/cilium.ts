// Pieces of a Cilium agent pod as the Cilium Helm chart (1.18) renders them, shared by the scenario
// generator (testkit/scengen) and the bench generator (bench/generate.ts) so the two stay the same.
import type { IContainer, IEnvVar, ILifecycle, ISecurityContext } from 'kubernetes-models/v1';

/** The cilium-agent container's securityContext: the capabilities the chart grants instead of privileged. */
export const CILIUM_AGENT_SECURITY_CONTEXT: ISecurityContext = {
  capabilities: {
    add: [
      'CHOWN',
      'KILL',
      'NET_ADMIN',
      'NET_RAW',
      'IPC_LOCK',
      'SYS_MODULE',
      'SYS_ADMIN',
      'SYS_RESOURCE',
      'DAC_OVERRIDE',
      'FOWNER',
      'SETGID',
      'SETUID',
    ],
    drop: ['ALL'],
  },
  seLinuxOptions: { level: 's0', type: 'spc_t' },
};

/** The cilium-agent container: what every install has in common, then the install's own fields. */
export function ciliumAgentContainer(
  image: string,
  env: IEnvVar[],
  rest: Omit<IContainer, 'name' | 'image' | 'command' | 'args' | 'env'>,
): IContainer {
  return {
    name: 'cilium-agent',
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['cilium-agent'],
    args: ['--config-dir=/tmp/cilium/config-map'],
    env,
    ...rest,
  };
}

/** The cilium-agent container's hooks: a shell script after start (the chart's AWS ENI SNAT clean-up), CNI removal before stop. */
export function ciliumAgentLifecycle(postStartScript: string): ILifecycle {
  return {
    postStart: { exec: { command: ['bash', '-c', postStartScript] } },
    preStop: { exec: { command: ['/cni-uninstall.sh'] } },
  };
}
