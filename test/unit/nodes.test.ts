import { describe, expect, it } from 'vitest';
import { node } from '../apiserver/objects.ts';
import { nodeAt } from '../../lib/k8s/nodes.ts';

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
