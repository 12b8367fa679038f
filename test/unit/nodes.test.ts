import { describe, expect, it } from 'vitest';
import { node } from '../apiserver/objects.ts';
import { nodeAt } from '../../lib/k8s/nodes.ts';
import { serverNode } from '../../lib/server-node.ts';

describe('nodeAt (the dqlite leader address to a node)', () => {
  const nodes = [node({ name: 'k8s01', ip: '10.0.0.11' }), node({ name: 'k8s02', ip: 'fd00::12' })] as unknown as Parameters<
    typeof nodeAt
  >[0];

  it('matches the InternalIP with or without port, IPv4 and bracketed IPv6', () => {
    expect(nodeAt(nodes, '10.0.0.11:19001')).toBe('k8s01');
    expect(nodeAt(nodes, '10.0.0.11')).toBe('k8s01');
    expect(nodeAt(nodes, '[fd00::12]:19001')).toBe('k8s02');
    expect(nodeAt(nodes, '10.0.0.13:19001')).toBeUndefined();
  });
});

describe('serverNode (an API server to the node its recovery names)', () => {
  const nodes = [node({ name: 'k8s01', ip: '10.0.0.11' }), node({ name: 'k8s02', ip: 'fd00::12' })] as unknown as Parameters<
    typeof serverNode
  >[2];
  const leases = ['k8s01', 'k8s02', 'k8s03'];

  it('by the Node at its address, IPv4 or IPv6; an address no Node has is not known', () => {
    expect(serverNode('https://10.0.0.11:16443', leases, nodes)).toBe('k8s01');
    expect(serverNode('https://[fd00::12]:16443', leases, nodes)).toBe('k8s02');
    expect(serverNode('https://10.0.0.13:16443', leases, nodes)).toBeUndefined();
    expect(serverNode('https://10.0.0.11:16443', leases)).toBeUndefined();
  });

  it("loopback is this host where a node Lease has its name (lower-cased, or its first label); a host name is that node's", () => {
    expect(serverNode('https://127.0.0.1:16443', leases, [], 'K8S03')).toBe('k8s03');
    expect(serverNode('https://localhost:16443', leases, [], 'k8s03.lab.example')).toBe('k8s03');
    expect(serverNode('https://[::1]:16443', leases, [], 'k8s03')).toBe('k8s03');
    expect(serverNode('https://127.0.0.1:16443', leases, [], 'nagios-server')).toBeUndefined();
    expect(serverNode('https://k8s02.lab.example:16443', leases)).toBe('k8s02');
    expect(serverNode('https://api.lab.example:16443', leases)).toBeUndefined();
  });
});
