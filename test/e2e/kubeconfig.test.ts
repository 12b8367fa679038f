// A kubeconfig read as kubectl reads it: what kubectl refuses is refused, what it verifies is
// verified, and a failure on the way (a proxy) is said as what it is.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { makeCerts } from '../apiserver/certs.ts';
import { addHealthyCluster, useCluster, type TestCluster } from '../helpers/cluster.ts';
import { runBuilt, STARTUP_MS } from '../helpers/run.ts';

const cluster = useCluster();
let c: TestCluster;
beforeEach(() => {
  c = cluster();
  addHealthyCluster(c.api);
});
const variant = (from: string, edit: (text: string) => string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'mk8s-kubeconfig-')), 'kubeconfig');
  writeFileSync(file, edit(readFileSync(from, 'utf8')));
  return file;
};
const nodes = (file: string) => runBuilt('check_nodes', ['--kubeconfig', file, '-t', '4']);
const otherCa = Buffer.from(makeCerts().ca).toString('base64');

describe('what kubectl refuses or verifies', () => {
  it('insecure-skip-tls-verify beside a CA is refused as kubectl refuses it, never OK from a server nobody verified', async () => {
    const withCa = (ca: string) =>
      variant(c.kubeconfig, (t) =>
        t.replace(/certificate-authority-data: \S+/, `certificate-authority-data: ${ca}\n    insecure-skip-tls-verify: true`),
      );
    for (const file of [withCa(otherCa), withCa(Buffer.from(c.certs.ca).toString('base64'))]) {
      const r = await nodes(file);
      expect(r.code).toBe(3);
      expect(r.first).toBe(
        `NODES UNKNOWN - kubeconfig ${file}: cluster 'microk8s-cluster' sets insecure-skip-tls-verify beside its ` +
          'certificate-authority, which kubectl refuses (fix: remove insecure-skip-tls-verify, and the server is verified against that CA)',
      );
    }
    // Without a CA it is what it says: nothing verified, as kubectl does.
    const bare = variant(c.kubeconfigWrongCa, (t) => t.replace(/certificate-authority-data: \S+/, 'insecure-skip-tls-verify: true'));
    expect((await nodes(bare)).first).toMatch(/^NODES OK - /);
  });

  it("a context without a user still verifies the server by its cluster's CA, and sends no credentials", async () => {
    const anonymous = (from: string) => variant(from, (t) => t.replace('    user: nagios\n  name: microk8s', '  name: microk8s'));
    // The right CA: the server is reached, and says what it thinks of a request without credentials.
    const r = await nodes(anonymous(c.kubeconfig));
    // Nothing to renew: the fix names what is missing, not a token that was never there.
    const sentNone = / \(fix: context 'microk8s' of the kubeconfig sends no credentials: give it a user with a token, client /;
    expect(r.first).toMatch(/^NODES UNKNOWN - API server https:\/\/127\.0\.0\.1:\d+ rejected the request \(401 Unauthorized\)/);
    expect(r.first).toMatch(sentNone);
    // A user entry holding none of them is the same.
    const empty = await nodes(variant(c.kubeconfig, (t) => t.replace(/(- name: nagios\n {2}user:\n)( {4}\S.*\n)+/, '$1    {}\n')));
    expect(empty.first).toMatch(sentNone);
    // Another CA: refused as the kubeconfig with a user is.
    const wrong = await nodes(anonymous(c.kubeconfigWrongCa));
    expect(wrong.first).toMatch(/^NODES UNKNOWN - TLS to https:\/\/127\.0\.0\.1:\d+ failed: certificate problem/);
  });

  it('a name given twice (a context, a cluster, a user) is refused as kubectl refuses it, never the first one judged', async () => {
    const elsewhere = (t: string) =>
      t.replace('clusters:\n', 'clusters:\n- cluster:\n    server: https://127.0.0.1:1\n  name: elsewhere\n');
    const cases: [string, (t: string) => string][] = [
      [
        'context',
        (t) => elsewhere(t).replace('contexts:\n', 'contexts:\n- context:\n    cluster: elsewhere\n    user: nagios\n  name: microk8s\n'),
      ],
      ['cluster', (t) => t.replace('clusters:\n', 'clusters:\n- cluster:\n    server: https://127.0.0.1:1\n  name: microk8s-cluster\n')],
      ['user', (t) => t.replace('users:\n', 'users:\n- name: nagios\n  user:\n    token: AnotherToken000\n')],
    ];
    for (const [what, edit] of cases) {
      const file = variant(c.kubeconfig, edit);
      const r = await nodes(file);
      expect(r.code, what).toBe(3);
      const name = { context: 'microk8s', cluster: 'microk8s-cluster', user: 'nagios' }[what];
      expect(r.first, what).toBe(
        `NODES UNKNOWN - kubeconfig ${file} names ${what} '${name}' twice, which kubectl refuses ` + `(fix: keep one ${what} of each name)`,
      );
      expect(r.stdout).not.toContain('AnotherToken000');
    }
  });

  it('a tokenFile beside a token is read first, as client-go does; the token serves where the file cannot be read', async () => {
    const token = /token: (\S+)/.exec(readFileSync(c.kubeconfig, 'utf8'))![1]!;
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-kubeconfig-'));
    writeFileSync(join(dir, 'token'), `${token}\n`);
    const both = (inline: string, file: string) =>
      variant(c.kubeconfig, (t) => t.replace(/token: \S+/, `token: ${inline}\n    tokenFile: ${join(dir, file)}`));
    // A projected token the kubelet rotates, beside the one written when the kubeconfig was made.
    expect((await nodes(both('StaleToken0000000000', 'token'))).first).toMatch(/^NODES OK - /);
    expect((await nodes(both(token, 'missing'))).first).toMatch(/^NODES OK - /);
  });

  it('an auth-provider kubectl no longer has (gcp, azure) or never had is refused by name: never run, never its words', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mk8s-kubeconfig-'));
    // What client-node ran for gcp, blocking: its arguments and its stderr were the message.
    const helper = join(dir, 'gcloud');
    writeFileSync(helper, '#!/bin/sh\necho "refresh failed for SEKRET-stderr" >&2\nsleep 20\n', { mode: 0o755 });
    const provider = (name: string, config: string) =>
      variant(c.kubeconfig, (t) => t.replace(/token: \S+/, `auth-provider:\n      name: ${name}\n      config:\n${config}`));
    const gcp = provider('gcp', `        cmd-path: ${helper}\n        cmd-args: --password=SEKRET-arg`);
    const started = Date.now();
    const r = await runBuilt('check_nodes', ['--kubeconfig', gcp, '-t', '2']);
    expect(Date.now() - started).toBeLessThan(3000 + STARTUP_MS);
    expect(r.first).toBe(
      `NODES UNKNOWN - kubeconfig ${gcp}: user 'nagios' uses the auth-provider 'gcp', which kubectl removed in 1.26 ` +
        "(fix: use the provider's exec credential plugin: gke-gcloud-auth-plugin for gcp, kubelogin for azure)",
    );
    expect(r.stdout + r.stderr).not.toContain('SEKRET');
    const other = provider('keystone', '        token: SEKRET-keystone');
    expect((await nodes(other)).first).toBe(
      `NODES UNKNOWN - kubeconfig ${other}: user 'nagios' uses the auth-provider 'keystone', which kubectl has not ` +
        '(fix: use an exec credential plugin, a token or a client certificate)',
    );
  });

  it("an oidc id-token that expired and cannot be renewed is said so, never the OIDC library's words", async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const expired = `${part({ alg: 'RS256' })}.${part({ exp: Math.floor(Date.now() / 1000) - 3600 })}.c2ln`;
    const config = [`id-token: ${expired}`, 'refresh-token: SEKRET-refresh', 'client-id: k', 'idp-issuer-url: https://127.0.0.1:1'];
    const file = variant(c.kubeconfig, (t) =>
      t.replace(/token: \S+/, `auth-provider:\n      name: oidc\n      config:\n${config.map((l) => `        ${l}\n`).join('')}`),
    );
    const r = await nodes(file);
    expect(r.first).toBe(
      "NODES UNKNOWN - the oidc id-token of kubeconfig user 'nagios' has expired, and renewing it failed " +
        '(fix: give the checks a credential that needs no renewing by them: a ServiceAccount token (docs/api.md), ' +
        'or kubelogin as an exec credential plugin)',
    );
    expect(r.stdout).not.toContain('SEKRET');
  });

  it('a server address with a path kube-apiserver does not serve (.../api): the 404 points at the address, not a namespace', async () => {
    const file = variant(c.kubeconfig, (t) => t.replace(/(server: \S+)/, '$1/api'));
    const r = await nodes(file);
    expect(r.first).toBe(
      'NODES UNKNOWN - not found: list nodes at cluster scope (404: the server could not find the requested resource) ' +
        '(fix: check the server address in the kubeconfig (a path after its port comes before /api), ' +
        'and that the API server serves this resource)',
    );
  });
});

describe('a proxy-url', () => {
  let proxy: Server;
  let port = 0;
  const servers: Server[] = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });
  const listen = async (onConnect: (socket: import('node:stream').Duplex) => void) => {
    proxy = createServer();
    proxy.on('connect', (_req, socket) => {
      // The client resets the tunnel it was refused: not this test's failure (uncaught, vitest's exit 1).
      socket.on('error', () => undefined);
      onConnect(socket);
    });
    servers.push(proxy);
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    port = (proxy.address() as AddressInfo).port;
  };
  const through = (url: string) => variant(c.kubeconfig, (t) => t.replace(/( {4}server: )/, `    proxy-url: ${url}\n$1`));

  it('that refuses the tunnel, or is not there, is named with what it said; never an internal error, nor the API server down', async () => {
    await listen((socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    const denied = await nodes(through(`http://probe:s3cret@127.0.0.1:${port}`));
    expect(denied.code).toBe(3);
    expect(denied.first).toMatch(
      new RegExp(
        `^NODES UNKNOWN - cannot reach API server https://127\\.0\\.0\\.1:\\d+ through the kubeconfig's proxy ` +
          `http://127\\.0\\.0\\.1:${port}/?: it answered 403 to CONNECT ` +
          '\\(fix: check its proxy-url, and that the proxy lets this host through',
      ),
    );
    proxy.close();
    for (const url of [`http://127.0.0.1:${port}`, `socks5://127.0.0.1:${port}`]) {
      const gone = await nodes(through(url));
      expect(gone.first, url).toMatch(
        new RegExp(`^NODES UNKNOWN - cannot reach API server https://\\S+ through the kubeconfig's proxy ${url}/?: connect ECONNREFUSED`),
      );
    }
    expect(denied.stdout).not.toContain('s3cret');
  });

  it('does not take a token Node will not send for the proxy failing: the token is named, as without a proxy', async () => {
    await listen((socket) => socket.end('HTTP/1.1 200 Connection established\r\n\r\n'));
    const file = variant(through(`http://127.0.0.1:${port}`), (t) => t.replace(/token: (\S+)/, 'token: "$1\\nsecond-line"'));
    const r = await nodes(file);
    expect(r.code).toBe(3);
    expect(r.first).toMatch(
      /^NODES UNKNOWN - the token of kubeconfig user 'nagios' holds a character no HTTP header can carry \(a line break\?\)/,
    );
  });
});
