import { isTlsCode, KubeError } from './errors.ts';
import { withoutUserinfo } from './config.ts';

const TUNNEL_FIX = "check its proxy-url, and that the proxy lets this host through to the API server's address";

/**
 * A request through the kubeconfig's proxy-url that failed before the API server answered: the
 * proxy refused the connection, or its tunnel (CONNECT, SOCKS). Said as the proxy's failure: as
 * the API server's it was 'unreachable' with a fix pointing at kubelite, and the agent's own
 * errors (hpagent's 'Bad response: 403', a SOCKS client's) were internal errors. A certificate
 * problem or a connection closed without an answer came through the tunnel from the server: those
 * are left to say themselves (undefined).
 */
export function proxyFailure(err: NodeJS.ErrnoException, server: string, proxyUrl: string): KubeError | undefined {
  const code = err.code ?? '';
  if (isTlsCode(code) || /UNABLE_TO_|ERR_OSSL_/.test(code)) return undefined;
  if (code === 'ECONNRESET' && err.message === 'socket hang up') return undefined;
  const status = /^Bad response: (\d{3})$/.exec(err.message)?.[1];
  const said = status ? `it answered ${status} to CONNECT` : err.message.slice(0, 200) || code || 'the connection failed';
  const proxy = withoutUserinfo(proxyUrl).replace(/[?#].*$/s, '');
  return new KubeError(`cannot reach API server ${server} through the kubeconfig's proxy ${proxy}: ${said}`, { fix: TUNNEL_FIX });
}
