/** Per-request state shared by the plugin chain (router → fault → mirror → primary). */
import 'fastify';
import type { Readable } from 'node:stream';
import { CompiledRoute, ClusterTarget, ForwardAction } from '../routing/compiled-route';
import { ListenerRuntime, RuntimeSnapshot } from './runtime-snapshot';
import { HeaderMap } from './hop-by-hop';
import type { ServerSpanHandle } from '../telemetry';

export interface RequestState {
  /** The snapshot taken when the request arrived; the whole request uses it. */
  snapshot: RuntimeSnapshot;
  listener: ListenerRuntime;
  startedAt: number;
  requestId: string;
  route?: CompiledRoute;
  forward?: ForwardAction;
  target?: ClusterTarget;
  /** Headers and path as they go upstream (after HCM processing, route mutations and rewrites). */
  upstreamHeaders: HeaderMap;
  upstreamPath: string;
  /** What the primary sends as its body: the raw request, or the mirror's tee of it. */
  upstreamBody?: Readable | null;
  /** The ingress (SERVER) span, when tracing is on; primary and shadow spans are its children. */
  span?: ServerSpanHandle;
  /** Envoy response flag for the access log, when a local reply was sent. */
  responseFlag?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    gw: RequestState;
  }
}
