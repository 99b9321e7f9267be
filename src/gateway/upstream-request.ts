/**
 * The router's finalizeRequestHeaders for the chosen target: route/vhost/global header mutations
 * (pre-flattened on the target), path rewrite with x-envoy-original-path, host rewrite with
 * x-envoy-original-host, expected timeout.
 */
import { ClusterTarget, ForwardAction } from '../routing/compiled-route';
import { applyHeaderOps } from '../routing/header-mutations';
import { HeaderMap } from './hop-by-hop';

export function finalizeUpstreamRequest(action: ForwardAction, target: Omit<ClusterTarget, 'clusterName'>, headers: HeaderMap, path: string, suppressEnvoyHeaders: boolean): string {
  applyHeaderOps(headers, target.requestHeaderOps);
  let upstreamPath = path;
  if (action.rewritePath) {
    upstreamPath = action.rewritePath(path);
    if (upstreamPath === '' || upstreamPath[0] !== '/') upstreamPath = `/${upstreamPath}`;
    if (!suppressEnvoyHeaders && upstreamPath !== path) headers['x-envoy-original-path'] = path;
  }
  if (target.hostRewriteLiteral) {
    // Envoy ≥ 1.35 (Utility::updateAuthority) keeps the host it replaced in x-envoy-original-host.
    if (!suppressEnvoyHeaders && typeof headers.host === 'string' && headers.host !== '') headers['x-envoy-original-host'] = headers.host;
    headers.host = target.hostRewriteLiteral;
  }
  if (!suppressEnvoyHeaders && action.timeoutMs > 0) headers['x-envoy-expected-rq-timeout-ms'] = String(action.timeoutMs);
  return upstreamPath;
}
