// Fixture objects shaped as a real API server (Kubernetes 1.31+) returns them in list items.
import { createHash, randomUUID } from 'node:crypto';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const ago = (s: number, now = Date.now()) => iso(now - s * 1000);
const hash = (text: string, n: number) => createHash('sha1').update(text).digest('hex').slice(0, n);
// pod-template-hash and pod suffixes use the safe alphabet of rand.SafeEncodeString
const safe = (text: string, n: number) =>
  [...createHash('sha1').update(text).digest()]
    .slice(0, n)
    .map((b) => 'bcdfghjklmnpqrstvwxz2456789'[b % 27])
    .join('');

export type JobState = 'complete' | 'failed' | 'running' | 'suspended' | 'failure-target' | 'success-criteria';

export interface JobSpec {
  namespace: string;
  name: string;
  state: JobState;
  /** Seconds since it finished (or, for running ones, started). */
  finishedAgo?: number;
  cronJob?: string;
  ttl?: number;
  labels?: Record<string, string>;
}

export function job(j: JobSpec) {
  const uid = randomUUID();
  const finished = j.finishedAgo ?? 7200;
  const startAgo = finished + 45;
  const labels: Record<string, string> = {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': j.name,
    'controller-uid': uid,
    'job-name': j.name,
    ...j.labels,
  };
  const metadata: Record<string, unknown> = {
    name: j.name,
    namespace: j.namespace,
    uid,
    generation: 1,
    creationTimestamp: ago(startAgo + 1),
    labels,
  };
  if (j.cronJob) {
    metadata.annotations = { 'batch.kubernetes.io/cronjob-scheduled-timestamp': ago(startAgo + 1).replace('Z', '+00:00') };
    metadata.ownerReferences = [
      { apiVersion: 'batch/v1', kind: 'CronJob', name: j.cronJob, uid: randomUUID(), controller: true, blockOwnerDeletion: true },
    ];
  }
  const spec: Record<string, unknown> = {
    parallelism: 1,
    completions: 1,
    backoffLimit: 6,
    selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
    template: {
      metadata: {
        creationTimestamp: null,
        labels: {
          'batch.kubernetes.io/controller-uid': uid,
          'batch.kubernetes.io/job-name': j.name,
          'controller-uid': uid,
          'job-name': j.name,
        },
      },
      spec: {
        containers: [
          {
            name: 'main',
            image: 'busybox:1.36',
            command: ['sh', '-c', 'echo done'],
            resources: {},
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
            imagePullPolicy: 'IfNotPresent',
          },
        ],
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 30,
        dnsPolicy: 'ClusterFirst',
        securityContext: {},
        schedulerName: 'default-scheduler',
      },
    },
    completionMode: 'NonIndexed',
    suspend: j.state === 'suspended',
    podReplacementPolicy: 'TerminatingOrFailed',
  };
  if (j.ttl !== undefined) spec.ttlSecondsAfterFinished = j.ttl;
  const t = ago(finished);
  let status: Record<string, unknown>;
  switch (j.state) {
    case 'complete':
      status = {
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: t, lastTransitionTime: t },
          { type: 'Complete', status: 'True', lastProbeTime: t, lastTransitionTime: t },
        ],
        startTime: ago(startAgo),
        completionTime: t,
        succeeded: 1,
        terminating: 0,
        uncountedTerminatedPods: {},
        ready: 0,
      };
      break;
    case 'failed':
      status = {
        conditions: [
          {
            type: 'FailureTarget',
            status: 'True',
            lastProbeTime: t,
            lastTransitionTime: t,
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
          {
            type: 'Failed',
            status: 'True',
            lastProbeTime: t,
            lastTransitionTime: t,
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
        ],
        startTime: ago(startAgo),
        failed: 7,
        terminating: 0,
        uncountedTerminatedPods: {},
        ready: 0,
      };
      break;
    case 'failure-target':
      status = {
        conditions: [
          {
            type: 'FailureTarget',
            status: 'True',
            lastProbeTime: t,
            lastTransitionTime: t,
            reason: 'BackoffLimitExceeded',
            message: 'Job has reached the specified backoff limit',
          },
        ],
        startTime: ago(startAgo),
        failed: 6,
        terminating: 1,
        uncountedTerminatedPods: {},
        ready: 0,
      };
      break;
    case 'success-criteria':
      // Succeeded, its pods still terminating: the controller adds Complete (and completionTime) after.
      status = {
        conditions: [{ type: 'SuccessCriteriaMet', status: 'True', lastProbeTime: t, lastTransitionTime: t }],
        startTime: ago(startAgo),
        succeeded: 1,
        terminating: 1,
        uncountedTerminatedPods: {},
        ready: 0,
      };
      break;
    case 'running':
      status = { startTime: ago(finished), active: 1, terminating: 0, uncountedTerminatedPods: {}, ready: 1 };
      break;
    case 'suspended':
      status = {
        conditions: [
          { type: 'Suspended', status: 'True', lastProbeTime: t, lastTransitionTime: t, reason: 'JobSuspended', message: 'Job suspended' },
        ],
      };
      break;
  }
  return { metadata, spec, status } as unknown as {
    metadata: { name: string; namespace: string; labels: Record<string, string> };
  } & Record<string, unknown>;
}

export interface DeploymentSpec {
  namespace: string;
  name: string;
  replicas?: number;
  generation?: number;
  observedGeneration?: number;
  /** Seconds since the spec was last written (managedFields time of the spec manager). */
  specChangedAgo?: number;
  progressDeadlineExceeded?: boolean;
  managedFields?: boolean;
}

export function deployment(d: DeploymentSpec) {
  const uid = randomUUID();
  const replicas = d.replicas ?? 1;
  const generation = d.generation ?? 3;
  const observed = d.observedGeneration ?? generation;
  const changed = d.specChangedAgo ?? 86400;
  const rsName = `${d.name}-${safe(d.name + generation, 10)}`;
  const metadata: Record<string, unknown> = {
    name: d.name,
    namespace: d.namespace,
    uid,
    generation,
    creationTimestamp: ago(86400 * 30),
    labels: { app: d.name },
    annotations: { 'deployment.kubernetes.io/revision': String(generation) },
  };
  if (d.managedFields !== false) {
    metadata.managedFields = [
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: ago(86400 * 30),
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
      },
      {
        manager: 'kubectl',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: ago(changed),
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:image': {} } } } } },
        },
      },
      {
        manager: 'kube-controller-manager',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: ago(Math.max(changed + 5, 60)),
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {} } },
          'f:status': { 'f:availableReplicas': {}, 'f:observedGeneration': {} },
        },
        subresource: 'status',
      },
    ];
  }
  const progressing = d.progressDeadlineExceeded
    ? {
        type: 'Progressing',
        status: 'False',
        lastUpdateTime: ago(60),
        lastTransitionTime: ago(60),
        reason: 'ProgressDeadlineExceeded',
        message: `ReplicaSet "${rsName}" has timed out progressing.`,
      }
    : {
        type: 'Progressing',
        status: 'True',
        lastUpdateTime: ago(changed),
        lastTransitionTime: ago(86400 * 30),
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${rsName}" has successfully progressed.`,
      };
  const obj = {
    metadata,
    spec: {
      replicas,
      selector: { matchLabels: { app: d.name } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: d.name } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27', resources: {} }], restartPolicy: 'Always' },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {
      observedGeneration: observed,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          lastUpdateTime: ago(86400),
          lastTransitionTime: ago(86400),
          reason: 'MinimumReplicasAvailable',
          message: 'Deployment has minimum availability.',
        },
        progressing,
      ],
    },
  };
  // Not part of the object the server returns: the name of its current ReplicaSet.
  return Object.defineProperty(obj, 'rsName', { value: rsName, enumerable: false }) as typeof obj & { rsName: string };
}

export function replicaSet(dep: ReturnType<typeof deployment>, available: number) {
  const uid = randomUUID();
  const d = dep.metadata as { name: string; namespace: string; uid: string; generation: number };
  const templateHash = dep.rsName.slice(d.name.length + 1);
  return {
    metadata: {
      name: dep.rsName,
      namespace: d.namespace,
      uid,
      generation: 1,
      creationTimestamp: ago(86400),
      labels: { app: d.name, 'pod-template-hash': templateHash },
      annotations: {
        'deployment.kubernetes.io/desired-replicas': String(dep.spec.replicas),
        'deployment.kubernetes.io/max-replicas': String(dep.spec.replicas + 1),
        'deployment.kubernetes.io/revision': String(d.generation),
      },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: d.name, uid: d.uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      replicas: dep.spec.replicas,
      selector: { matchLabels: { app: d.name, 'pod-template-hash': templateHash } },
      template: dep.spec.template,
    },
    status: {
      replicas: available,
      fullyLabeledReplicas: available,
      readyReplicas: available,
      availableReplicas: available,
      observedGeneration: 1,
    },
  };
}

export interface PodSpec {
  namespace: string;
  name: string;
  node: string;
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ready?: boolean;
  ip?: string;
  ips?: string[];
  hostNetwork?: boolean;
  owner?: { kind: string; name: string; uid: string };
  startedAgo?: number;
  labels?: Record<string, string>;
  restarts?: number;
  containerName?: string;
  /** The container keeps exiting: waiting in CrashLoopBackOff, not ready. */
  crashLooping?: boolean;
  /** How the container's previous run ended (lastState.terminated). */
  lastExit?: { reason: string; exitCode: number };
  /** Deleted this long ago and still terminating (its grace period of 30 s not yet over). */
  deletedAgo?: number;
}

export function pod(p: PodSpec) {
  const phase = p.phase ?? 'Running';
  const ready = p.ready ?? (phase === 'Running' && !p.crashLooping);
  const started = p.startedAgo ?? 3600;
  const ips = p.ips ?? (p.ip ? [p.ip] : []);
  const hostIP = '10.0.0.11';
  const podIPs = p.hostNetwork ? [hostIP] : ips;
  const tr = (cond: boolean) => (cond ? 'True' : 'False');
  const containerId = `containerd://${hash(p.namespace + p.name, 64).padEnd(64, '0')}`;
  const metadata: Record<string, unknown> = {
    name: p.name,
    namespace: p.namespace,
    uid: randomUUID(),
    creationTimestamp: ago(started + 2),
    labels: p.labels ?? {},
  };
  if (p.deletedAgo !== undefined) {
    // As the API server marks a graceful delete: the deadline, not the moment asked, is the stamp.
    metadata.deletionTimestamp = ago(p.deletedAgo - 30);
    metadata.deletionGracePeriodSeconds = 30;
  }
  if (!p.hostNetwork && podIPs.length) {
    metadata.annotations = {
      'cni.projectcalico.org/containerID': hash(p.name, 64),
      'cni.projectcalico.org/podIP': `${podIPs[0]}/32`,
      'cni.projectcalico.org/podIPs': podIPs.map((ip) => `${ip}/${ip.includes(':') ? 128 : 32}`).join(','),
    };
  }
  if (p.owner)
    metadata.ownerReferences = [
      {
        apiVersion: p.owner.kind === 'Job' ? 'batch/v1' : 'apps/v1',
        kind: p.owner.kind,
        name: p.owner.name,
        uid: p.owner.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ];
  const name = p.containerName ?? 'app';
  return {
    metadata,
    spec: {
      containers: [
        {
          name,
          image: 'nginx:1.27',
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      nodeName: p.node,
      securityContext: {},
      schedulerName: 'default-scheduler',
      ...(p.hostNetwork ? { hostNetwork: true } : {}),
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase,
      conditions: [
        { type: 'PodReadyToStartContainers', status: tr(phase === 'Running'), lastProbeTime: null, lastTransitionTime: ago(started) },
        { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: ago(started + 1) },
        {
          type: 'Ready',
          status: tr(ready),
          lastProbeTime: null,
          lastTransitionTime: ago(started),
          ...(ready ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${name}]` }),
        },
        {
          type: 'ContainersReady',
          status: tr(ready),
          lastProbeTime: null,
          lastTransitionTime: ago(started),
          ...(ready ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${name}]` }),
        },
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: ago(started + 2) },
      ],
      hostIP,
      hostIPs: [{ ip: hostIP }],
      ...(podIPs.length ? { podIP: podIPs[0], podIPs: podIPs.map((ip) => ({ ip })) } : {}),
      startTime: ago(started + 1),
      containerStatuses: [
        {
          name,
          state: p.crashLooping
            ? {
                waiting: {
                  reason: 'CrashLoopBackOff',
                  message: `back-off 5m0s restarting failed container=${name} pod=${p.name}_${p.namespace}(${String(metadata.uid)})`,
                },
              }
            : phase === 'Running'
              ? { running: { startedAt: ago(started) } }
              : {
                  terminated: {
                    exitCode: phase === 'Succeeded' ? 0 : 1,
                    reason: phase === 'Succeeded' ? 'Completed' : 'Error',
                    startedAt: ago(started),
                    finishedAt: ago(started - 5),
                    containerID: containerId,
                  },
                },
          lastState: p.lastExit
            ? {
                terminated: {
                  exitCode: p.lastExit.exitCode,
                  reason: p.lastExit.reason,
                  startedAt: ago(started + 40),
                  finishedAt: ago(started),
                  containerID: containerId,
                },
              }
            : {},
          ready,
          restartCount: p.restarts ?? 0,
          image: 'docker.io/library/nginx:1.27',
          imageID: `docker.io/library/nginx@sha256:${hash('nginx', 64).padEnd(64, '0')}`,
          containerID: containerId,
          started: phase === 'Running',
        },
      ],
      qosClass: 'BestEffort',
    },
  };
}

/**
 * A pod the scheduler could not place, as kube-scheduler leaves it: Pending, no nodeName,
 * PodScheduled False with reason Unschedulable and its message.
 */
/**
 * calico-node, Calico's agent on a node, as its DaemonSet makes it: in kube-system, where MicroK8s'
 * manifest runs it (calico-system where the Tigera operator does), host network, labelled k8s-app=calico-node.
 */
export function calicoNode(p: Omit<PodSpec, 'namespace' | 'name'> & { name?: string; namespace?: string }) {
  return pod({
    namespace: 'kube-system',
    name: `calico-node-${hash(p.node, 5)}`,
    hostNetwork: true,
    labels: { 'k8s-app': 'calico-node' },
    containerName: 'calico-node',
    ...p,
  });
}

export function unschedulablePod(namespace: string, name: string, waitingFor: number) {
  const p = pod({ namespace, name, node: '', phase: 'Pending', startedAgo: waitingFor });
  Reflect.deleteProperty(p.spec, 'nodeName');
  p.status.conditions = [
    {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: ago(waitingFor),
      reason: 'Unschedulable',
      message: '0/3 nodes are available: 3 node(s) had untolerated taint {node.kubernetes.io/unreachable: }.',
    } as never,
  ];
  return p;
}

export interface NodeSpec {
  name: string;
  ip: string;
  ready?: boolean;
  unschedulable?: boolean;
  taints?: { key: string; value?: string; effect: string }[];
  /** Seconds since its kubelet last posted its status (lastHeartbeatTime): 20 when Ready, 300 when not, unless given. */
  heartbeatAgo?: number;
}

const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export function node(n: NodeSpec) {
  const ready = n.ready ?? true;
  const heartbeat = ago(n.heartbeatAgo ?? (ready ? 20 : 300));
  const pressure = (type: string, reason: string, message: string) => ({
    type,
    status: ready ? 'False' : 'Unknown',
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: ago(86400),
    reason: ready ? reason : 'NodeStatusUnknown',
    message: ready ? message : 'Kubelet stopped posting node status.',
  });
  const taints = [...(n.taints ?? [])];
  if (n.unschedulable) taints.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
  if (!ready)
    taints.push(
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
    );
  return {
    metadata: {
      name: n.name,
      uid: randomUUID(),
      creationTimestamp: ago(86400 * 90),
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'microk8s.io/cluster': 'true',
        'node.kubernetes.io/microk8s-controlplane': 'microk8s-controlplane',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {
      ...(n.unschedulable ? { unschedulable: true } : {}),
      ...(taints.length
        ? {
            taints: taints.map((t) =>
              t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute' ? { ...t, timeAdded: ago(250) } : t,
            ),
          }
        : {}),
    },
    status: {
      conditions: [
        pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        {
          type: 'Ready',
          status: ready ? 'True' : 'Unknown',
          lastHeartbeatTime: heartbeat,
          lastTransitionTime: ago(ready ? 86400 : 250),
          reason: ready ? 'KubeletReady' : 'NodeStatusUnknown',
          message: ready ? 'kubelet is posting ready status' : 'Kubelet stopped posting node status.',
        },
      ],
      addresses: [
        { type: 'InternalIP', address: n.ip },
        { type: 'Hostname', address: n.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: hash(n.name, 32),
        systemUUID: randomUUID(),
        bootID: randomUUID(),
        kernelVersion: '6.8.0-49-generic',
        osImage: 'Ubuntu 24.04.1 LTS',
        containerRuntimeVersion: 'containerd://1.7.27',
        kubeletVersion: 'v1.32.3',
        kubeProxyVersion: 'v1.32.3',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export function lease(
  name: string,
  holder: string | undefined,
  /** uid: the same for every lease of a name unless given, as a lease renewed (not remade) keeps its own. */
  /** now: the clock the ages count back from, the test's own where it judges with one (else this call's). */
  opts: { renewedAgo?: number; duration?: number; transitions?: number; uid?: string; now?: number } = {},
) {
  const now = opts.now ?? Date.now();
  const renewed = microTime(now - (opts.renewedAgo ?? 2) * 1000);
  const metadata = { name, namespace: 'kube-system', uid: opts.uid ?? `lease-${name}`, creationTimestamp: ago(86400 * 90) };
  // No holder: as client-go's release (ReleaseOnCancel, kubelite stopping) writes it, leaderelection.go
  // release(): HolderIdentity "" (a pointer, so present), LeaseDurationSeconds 1, RenewTime and AcquireTime now.
  if (!holder)
    return {
      metadata,
      spec: {
        holderIdentity: '',
        leaseDurationSeconds: opts.duration ?? 1,
        acquireTime: renewed,
        renewTime: renewed,
        leaseTransitions: opts.transitions ?? 12,
      },
    };
  return {
    metadata,
    spec: {
      holderIdentity: `${holder}_${randomUUID()}`,
      leaseDurationSeconds: opts.duration ?? 60,
      acquireTime: microTime(now - 3600_000),
      renewTime: renewed,
      leaseTransitions: opts.transitions ?? 12,
    },
  };
}

/**
 * A node's Lease in kube-node-lease, as its kubelet renews it (every ~10 s, duration 40 s). Its
 * managedFields entry is the API server's own record of the newest renewal: stamped by the server's
 * clock, in whole seconds, whenever an update changes renewTime (managedfields' managedFieldsUpdater).
 * recordedAgo: when the server recorded it, where the node's clock (renewTime) is not the server's.
 */
export function nodeLease(nodeName: string, opts: { renewedAgo?: number; createdAgo?: number; recordedAgo?: number } = {}) {
  const now = Date.now();
  const renewed = now - (opts.renewedAgo ?? 3) * 1000;
  const owner = randomUUID();
  return {
    metadata: {
      name: nodeName,
      namespace: 'kube-node-lease',
      uid: randomUUID(),
      creationTimestamp: ago(opts.createdAgo ?? 86400 * 30),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: owner }],
      managedFields: [
        {
          manager: 'kubelite',
          operation: 'Update',
          apiVersion: 'coordination.k8s.io/v1',
          time: iso(opts.recordedAgo === undefined ? renewed : now - opts.recordedAgo * 1000),
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:ownerReferences': { '.': {}, [`k:{"uid":"${owner}"}`]: {} } },
            'f:spec': { 'f:holderIdentity': {}, 'f:leaseDurationSeconds': {}, 'f:renewTime': {} },
          },
        },
      ],
    },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: 40, renewTime: microTime(renewed) },
  };
}

export interface CronJobSpec {
  namespace: string;
  name: string;
  schedule: string;
  timeZone?: string;
  suspend?: boolean;
  /** spec.concurrencyPolicy; the API server defaults it to Allow. */
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  startingDeadlineSeconds?: number;
  createdAgo?: number;
  /** Seconds since the controller last scheduled it; undefined: never. */
  scheduledAgo?: number;
  /** Seconds since its last Job succeeded; undefined: never. */
  succeededAgo?: number;
  /** Names of Jobs still running. */
  active?: string[];
  /** spec.successfulJobsHistoryLimit; the API server defaults it to 3. */
  successfulJobsHistoryLimit?: number;
}

/**
 * The name the cronjob controller gives the Job of a run: the CronJob's name and the scheduled
 * time in minutes since the epoch (getJobName in pkg/controller/cronjob/utils.go).
 */
export function jobNameOf(cronJobName: string, scheduledAgo: number, now = Date.now()): string {
  return `${cronJobName}-${Math.floor((now - scheduledAgo * 1000) / 60_000)}`;
}

/** A CronJob as batch/v1 returns it in list items (Kubernetes 1.32). */
export function cronJob(c: CronJobSpec) {
  const uid = randomUUID();
  const status: Record<string, unknown> = {};
  if (c.active?.length)
    status.active = c.active.map((name) => ({
      kind: 'Job',
      namespace: c.namespace,
      name,
      uid: randomUUID(),
      apiVersion: 'batch/v1',
      resourceVersion: '1',
    }));
  if (c.scheduledAgo !== undefined) status.lastScheduleTime = ago(c.scheduledAgo);
  if (c.succeededAgo !== undefined) status.lastSuccessfulTime = ago(c.succeededAgo);
  return {
    metadata: { name: c.name, namespace: c.namespace, uid, generation: 1, creationTimestamp: ago(c.createdAgo ?? 86400 * 30) },
    spec: {
      schedule: c.schedule,
      ...(c.timeZone ? { timeZone: c.timeZone } : {}),
      ...(c.startingDeadlineSeconds !== undefined ? { startingDeadlineSeconds: c.startingDeadlineSeconds } : {}),
      concurrencyPolicy: c.concurrencyPolicy ?? 'Allow',
      suspend: c.suspend ?? false,
      jobTemplate: {
        metadata: { creationTimestamp: null },
        spec: {
          backoffLimit: 2,
          template: {
            metadata: { creationTimestamp: null },
            spec: {
              containers: [
                {
                  name: 'backup',
                  image: 'busybox:1.36',
                  command: ['sh', '-c', 'date'],
                  resources: {},
                  terminationMessagePath: '/dev/termination-log',
                  terminationMessagePolicy: 'File',
                  imagePullPolicy: 'IfNotPresent',
                },
              ],
              restartPolicy: 'OnFailure',
              terminationGracePeriodSeconds: 30,
              dnsPolicy: 'ClusterFirst',
              securityContext: {},
              schedulerName: 'default-scheduler',
            },
          },
        },
      },
      successfulJobsHistoryLimit: c.successfulJobsHistoryLimit ?? 3,
      failedJobsHistoryLimit: 1,
    },
    status,
  };
}
