// Calico's custom resources as the scenarios hold them. kubernetes-models has no Calico types, so these
// interfaces name the fields the scenarios set: the operator's Installation (operator.tigera.io/v1)
// and Calico's FelixConfiguration (crd.projectcalico.org/v1), the two the exporter reads.
import type { ObjectMeta } from './meta.js';

type Switch = 'Enabled' | 'Disabled';

export type CalicoLinuxDataplane = 'BPF' | 'Iptables' | 'Nftables' | 'VPP';

export interface CalicoIPPool {
  allowedUses: ('Workload' | 'Tunnel' | 'LoadBalancer')[];
  blockSize: number;
  cidr: string;
  disableBGPExport: boolean;
  encapsulation: 'IPIP' | 'IPIPCrossSubnet' | 'VXLAN' | 'VXLANCrossSubnet' | 'None';
  name: string;
  natOutgoing: Switch;
  nodeSelector: string;
}

export interface CalicoCondition {
  lastTransitionTime: string;
  message: string;
  observedGeneration: number;
  reason: string;
  status: 'True' | 'False' | 'Unknown';
  type: string;
}

export interface CalicoInstallation {
  apiVersion: 'operator.tigera.io/v1';
  kind: 'Installation';
  metadata: ObjectMeta;
  spec: {
    calicoNetwork: {
      bgp: Switch;
      hostPorts: Switch;
      ipPools: CalicoIPPool[];
      linuxDataplane: CalicoLinuxDataplane;
      linuxPolicySetupTimeoutSeconds: number;
      multiInterfaceMode: 'None' | 'Multus';
      nodeAddressAutodetectionV4: { firstFound?: boolean; kubernetes?: string; interface?: string };
      windowsDataplane: 'HNS' | 'Disabled';
    };
    cni: { ipam: { type: 'Calico' | 'HostLocal' | 'AmazonVPC' | 'AzureVNET' }; type: 'Calico' | 'GKE' | 'AmazonVPC' | 'AzureVNET' };
    controlPlaneReplicas: number;
    flexVolumePath: string;
    kubeletVolumePluginPath: string;
    kubernetesProvider: string;
    logging: { cni: { logFileMaxAgeDays: number; logFileMaxCount: number; logFileMaxSize: string; logSeverity: string } };
    nodeUpdateStrategy: { rollingUpdate: { maxUnavailable: number | string }; type: 'RollingUpdate' | 'OnDelete' };
    nonPrivileged: Switch;
    variant: 'Calico' | 'TigeraSecureEnterprise';
  };
  status?: {
    calicoVersion: string;
    conditions: CalicoCondition[];
    mtu: number;
    variant: 'Calico' | 'TigeraSecureEnterprise';
  };
}

export interface FelixConfigurationSpec {
  bpfConnectTimeLoadBalancing?: 'TCP' | 'Enabled' | 'Disabled';
  bpfEnabled?: boolean;
  bpfHostNetworkedNATWithoutCTLB?: Switch;
  bpfKubeProxyHealthzPort?: number;
  bpfLogLevel?: string;
  floatingIPs?: Switch;
  healthPort?: number;
  logSeverityScreen?: string;
  reportingInterval?: string;
  vxlanVNI?: number;
}

export interface FelixConfiguration {
  apiVersion: 'crd.projectcalico.org/v1';
  kind: 'FelixConfiguration';
  metadata: ObjectMeta;
  spec: FelixConfigurationSpec;
}
