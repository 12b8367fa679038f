import { describe, expect, it } from 'vitest';
import { RouteTable } from '../../lib/sources/routes.ts';
import { calicoIface } from '../../lib/k8s/calico.ts';

describe('route table', () => {
  const table = new RouteTable([
    { type: 'blackhole', dst: '10.1.73.64/26' },
    { dst: '10.1.73.89', dev: 'cali29cf4181874' },
    { dst: '10.1.235.128/26', gateway: '10.1.235.133', dev: 'vxlan.calico' },
    { type: 'blackhole', dst: '2000::c11:b42f:f17e:a680/122' },
    { dst: 'fd00:10:1:0::5/128', dev: 'cali18cf7b78dac' },
  ]);

  it('finds host routes by address, IPv4 and IPv6 in any spelling', () => {
    expect(table.host('10.1.73.89')?.dev).toBe('cali29cf4181874');
    expect(table.host('fd00:10:1::5')?.dev).toBe('cali18cf7b78dac');
    expect(table.host('10.1.73.90')).toBeUndefined();
    expect(table.host('10.1.235.130')).toBeUndefined();
  });

  it('says which blackhole block an address without a host route falls into', () => {
    expect(table.blackholeFor('10.1.73.100')?.dst).toBe('10.1.73.64/26');
    expect(table.blackholeFor('10.1.73.128')).toBeUndefined();
    expect(table.blackholeFor('2000::c11:b42f:f17e:a6bf')?.dst).toBe('2000::c11:b42f:f17e:a680/122');
    expect(table.blackholeFor('2000::c11:b42f:f17e:a6c0')).toBeUndefined();
  });

  it("names calico's veth from sha1 of namespace.pod", () => {
    // printf default.nginx | sha1sum -> c440f455693...
    const iface = calicoIface('default', 'nginx');
    expect(iface).toBe('calic440f455693');
    expect(calicoIface('default', 'nginx', 'tap')).toBe(`tap${iface.slice(4)}`);
  });
});
