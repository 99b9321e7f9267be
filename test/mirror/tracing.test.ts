/**
 * The shadow's "mirror" span (Envoy router.cc: setParentSpan, setChildSpanName("mirror"),
 * setSampled(trace_sampled)): started per shadow as a child of the request's span, its context injected
 * into the copy only, ended with the shadow's outcome. Driven through RequestMirror with a recording
 * tracer so the test does not depend on an exporter.
 */
import { EventEmitter } from 'node:events';
import t from 'tap';
import { RequestMirror, MirrorTracer } from '../../src/mirror/request-mirror';
import { DEFAULT_SHADOW_OPTIONS } from '../../src/mirror/shadow-options';
import { pickTarget } from '../../src/routing/route-table';
import type { ForwardAction } from '../../src/routing/compiled-route';
import type { RequestState } from '../../src/gateway/request-state';
import type { ServerSpanHandle } from '../../src/telemetry';
import { closedPort, startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster } from '../helpers/gateway';
import { eventually, mirrorRoute, startMirrorGateway } from './helpers';

t.test('one "mirror" span per shadow, trace_sampled passed, context injected into the copy only', async (t) => {
  const primary = await startUpstream('primary');
  const shadow = await startUpstream('shadow');
  const dead = await closedPort();
  t.teardown(() => Promise.all([primary.close(), shadow.close()]));
  const gw = await startMirrorGateway(bootstrapWith(
    [httpListener('ingress', routeConfig([mirrorRoute('/', 'primary', [
      { cluster: 'shadow', trace_sampled: false },
      { cluster: 'dead' },
    ])]))],
    [staticCluster('primary', [primary.port]), staticCluster('shadow', [shadow.port]), staticCluster('dead', [dead])],
  ));
  t.teardown(() => gw.close());

  const started: { info: Record<string, unknown>; parent: unknown }[] = [];
  const ended: { cluster: string; status?: number; error?: unknown }[] = [];
  const tracer: MirrorTracer = {
    startClientSpan(parent, info) {
      started.push({ info: { ...info }, parent });
      return {
        inject(h) {
          h.traceparent = `00-${'a'.repeat(32)}-${String(started.length).padStart(16, '0')}-01`;
        },
        end(status, error) {
          ended.push({ cluster: info.cluster, ...(status !== undefined ? { status } : {}), ...(error !== undefined ? { error } : {}) });
        },
      };
    },
  };
  const mirror = new RequestMirror({ clusters: gw.handle.gateway.clusters, stats: gw.handle.gateway.stats, random: () => 0, options: DEFAULT_SHADOW_OPTIONS, tracer });

  const listener = gw.handle.gateway.current.listeners.get('ingress')!;
  const route = listener.routeTable!.match({ method: 'GET', authority: 'svc', path: '/t', headers: {}, scheme: 'http' })!;
  const forward = route.action as ForwardAction;
  const serverSpan = { recording: true } as unknown as ServerSpanHandle;
  const upstreamHeaders = { host: 'svc', 'x-request-id': 'rid-1', traceparent: `00-${'b'.repeat(32)}-${'c'.repeat(16)}-01` };
  const state = {
    snapshot: gw.handle.gateway.current, listener, startedAt: Date.now(), requestId: 'rid-1', route, forward,
    target: pickTarget(forward), upstreamHeaders, upstreamPath: '/t', span: serverSpan,
  } as RequestState;
  t.equal(mirror.start({ method: 'GET', rawHeaders: {}, body: null, gw: state, response: new EventEmitter() }), undefined, 'no body, no tee');

  const [s] = await shadow.waitFor(1);
  await eventually(() => ended.length === 2, 3000, 'both spans ended');
  t.equal(started.length, 2);
  t.same(started.map((x) => x.info.name), ['mirror', 'mirror']);
  t.ok(started.every((x) => x.parent === serverSpan && x.info.shadow === true), 'children of the request span');
  t.equal(started[0].info.sampled, false, 'trace_sampled: false passed on');
  t.notOk('sampled' in started[1].info, 'unset trace_sampled inherits');
  t.equal(started[0].info.host, 'svc-shadow');
  t.equal(s.headers.traceparent, `00-${'a'.repeat(32)}-0000000000000001-01`, "the shadow carries its own span's context");
  t.equal(upstreamHeaders.traceparent, `00-${'b'.repeat(32)}-${'c'.repeat(16)}-01`, "the primary's headers are untouched");
  t.same(ended.find((e) => e.cluster === 'shadow'), { cluster: 'shadow', status: 200 });
  t.equal(ended.find((e) => e.cluster === 'dead')?.error, 'connect_failure');
});
