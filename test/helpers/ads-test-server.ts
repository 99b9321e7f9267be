/**
 * A minimal, scriptable ADS management server for tests (SotW and Delta on one grpc-js server, built on
 * `adsService().definition`), on 127.0.0.1. The test sets the state of each resource type; the server
 * pushes it to every connected stream and records every request it receives, so tests can wait for the
 * ACK or NACK of a given response. `kill()` drops the server mid-stream; `restart()` brings it back on
 * the same port with the same state.
 *
 * Behaviour follows the xDS protocol's server side closely enough to exercise a client: SotW answers
 * the first request of a type and every change of resource names, ignores stale nonces and does not
 * answer NACKs (it waits for new config, as go-control-plane does); Delta sends only resources whose
 * version the stream does not hold yet (seeded from initial_resource_versions), `removed_resources`
 * for deletions, and resends what a request explicitly subscribes.
 */
import * as grpc from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import { adsService } from '../../src/xds/protos';
import { encodeAny } from '../../src/xds/any-codec';
import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL } from '../../src/xds/type-urls';

export type AdsMode = 'sotw' | 'delta';

export interface AnyValue {
  type_url: string;
  value: Buffer;
}

/** A request as received (proto-loader object form, snake_case keys). */
export interface RecordedRequest {
  streamId: number;
  mode: AdsMode;
  /** performance.now() when it arrived. */
  at: number;
  typeUrl: string;
  msg: Record<string, any>;
  /** The stream's gRPC request metadata (headers). */
  metadata: Record<string, unknown>;
}

export interface SentResponse {
  streamId: number;
  typeUrl: string;
  nonce: string;
  version: string;
  names: string[];
  removed: string[];
  at: number;
}

interface Item {
  name: string;
  any: AnyValue;
  /** Per-resource version (Delta): unchanged bytes keep their version. */
  version: string;
}

interface TypeState {
  version: string;
  items: Item[];
}

interface SotwTypeStream {
  names: string[] | null;
  explicit: boolean;
  nonce: string;
}

interface DeltaTypeStream {
  wildcard: boolean;
  names: Set<string>;
  sent: Map<string, string>;
  nonce: string;
}

interface StreamState {
  id: number;
  mode: AdsMode;
  call: grpc.ServerDuplexStream<any, any>;
  sotw: Map<string, SotwTypeStream>;
  delta: Map<string, DeltaTypeStream>;
}

export interface AdsTestServer {
  readonly port: number;
  readonly requests: RecordedRequest[];
  readonly responses: SentResponse[];
  /** Number of open streams. */
  streamCount(): number;
  /**
   * Replaces the state of a type with these resources (proto3 JSON, Envoy YAML shape) and pushes it to
   * every stream; returns the responses sent. The version defaults to a counter.
   */
  set(typeUrl: string, resources: object[], version?: string): SentResponse[];
  /** Like set, with resources already packed (a wrong type URL, undecodable bytes…). */
  setAnys(typeUrl: string, items: { name: string; any: AnyValue }[], version?: string): SentResponse[];
  /** The ACK or NACK of a response: the first request of its stream echoing the nonce. */
  waitForReply(sent: SentResponse, timeoutMs?: number): Promise<RecordedRequest>;
  waitForRequest(pred: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  kill(): void;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export function isNack(r: RecordedRequest): boolean {
  return r.msg.error_detail !== undefined && r.msg.error_detail !== null;
}

function nameOf(typeUrl: string, json: Record<string, unknown>): string {
  return String((typeUrl === CLUSTER_LOAD_ASSIGNMENT_TYPE_URL ? json.cluster_name : json.name) ?? '');
}

export async function startAdsServer(port = 0): Promise<AdsTestServer> {
  const state = new Map<string, TypeState>();
  const streams = new Set<StreamState>();
  const requests: RecordedRequest[] = [];
  const responses: SentResponse[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(100);
  let streamSeq = 0;
  let nonceSeq = 0;
  let versionSeq = 0;
  let server: grpc.Server | undefined;
  let boundPort = port;

  function record(st: StreamState, msg: Record<string, any>): void {
    const r: RecordedRequest = { streamId: st.id, mode: st.mode, at: performance.now(), typeUrl: String(msg.type_url ?? ''), msg, metadata: st.call.metadata.getMap() };
    requests.push(r);
    events.emit('request', r);
  }

  function sendSotw(st: StreamState, typeUrl: string): SentResponse | undefined {
    const ts = st.sotw.get(typeUrl);
    const s = state.get(typeUrl);
    if (!ts || !s) return undefined;
    const items = s.items.filter((i) => ts.names === null || ts.names.includes(i.name));
    const nonce = String(++nonceSeq);
    ts.nonce = nonce;
    st.call.write({ version_info: s.version, resources: items.map((i) => i.any), type_url: typeUrl, nonce });
    const sent: SentResponse = { streamId: st.id, typeUrl, nonce, version: s.version, names: items.map((i) => i.name), removed: [], at: performance.now() };
    responses.push(sent);
    return sent;
  }

  function sendDelta(st: StreamState, typeUrl: string, forced: ReadonlySet<string> = new Set()): SentResponse | undefined {
    const ts = st.delta.get(typeUrl);
    const s = state.get(typeUrl);
    if (!ts || !s) return undefined;
    const inScope = (name: string): boolean => ts.wildcard || ts.names.has(name);
    const items = s.items.filter((i) => inScope(i.name) && (forced.has(i.name) || ts.sent.get(i.name) !== i.version));
    const present = new Set(s.items.map((i) => i.name));
    const removed = [...ts.sent.keys()].filter((n) => inScope(n) && !present.has(n));
    if (items.length === 0 && removed.length === 0) return undefined;
    const nonce = String(++nonceSeq);
    ts.nonce = nonce;
    st.call.write({
      system_version_info: s.version,
      resources: items.map((i) => ({ name: i.name, version: i.version, resource: i.any })),
      type_url: typeUrl,
      removed_resources: removed,
      nonce,
    });
    for (const i of items) ts.sent.set(i.name, i.version);
    for (const n of removed) ts.sent.delete(n);
    const sent: SentResponse = { streamId: st.id, typeUrl, nonce, version: s.version, names: items.map((i) => i.name), removed, at: performance.now() };
    responses.push(sent);
    return sent;
  }

  function onSotwRequest(st: StreamState, msg: Record<string, any>): void {
    const typeUrl = String(msg.type_url ?? '');
    const ts = st.sotw.get(typeUrl);
    // A stale nonce: the client has not seen our latest response yet; it will answer that one.
    if (ts && msg.response_nonce && msg.response_nonce !== ts.nonce) return;
    const names: string[] = msg.resource_names ?? [];
    const explicit = (ts?.explicit ?? false) || names.length > 0;
    const wanted = !explicit || names.includes('*') ? null : [...names].sort();
    const next: SotwTypeStream = { names: wanted, explicit, nonce: ts?.nonce ?? '' };
    st.sotw.set(typeUrl, next);
    if (msg.error_detail) return; // NACK: wait for a new version
    const changed = !ts || JSON.stringify(ts.names) !== JSON.stringify(wanted);
    if (changed) sendSotw(st, typeUrl);
  }

  function onDeltaRequest(st: StreamState, msg: Record<string, any>): void {
    const typeUrl = String(msg.type_url ?? '');
    const subscribe: string[] = msg.resource_names_subscribe ?? [];
    const unsubscribe: string[] = msg.resource_names_unsubscribe ?? [];
    let ts = st.delta.get(typeUrl);
    const first = !ts;
    if (!ts) {
      ts = { wildcard: false, names: new Set(), sent: new Map(Object.entries(msg.initial_resource_versions ?? {})), nonce: '' };
      st.delta.set(typeUrl, ts);
      // Legacy wildcard: the first request of a type subscribes to nothing explicitly.
      if (subscribe.length === 0 && unsubscribe.length === 0) ts.wildcard = true;
    }
    const forced = new Set<string>();
    for (const n of subscribe) {
      if (n === '*') ts.wildcard = true;
      else {
        ts.names.add(n);
        // "must resend resources in resource_names_subscribe even if it thinks the client has them",
        // unless the client just told us its version in initial_resource_versions.
        if (!first) forced.add(n);
      }
    }
    for (const n of unsubscribe) {
      if (n === '*') ts.wildcard = false;
      else {
        ts.names.delete(n);
        ts.sent.delete(n);
      }
    }
    if (!first && subscribe.length === 0 && unsubscribe.length === 0) return; // ACK or NACK
    sendDelta(st, typeUrl, forced);
  }

  function handler(mode: AdsMode) {
    return (call: grpc.ServerDuplexStream<any, any>): void => {
      const st: StreamState = { id: ++streamSeq, mode, call, sotw: new Map(), delta: new Map() };
      streams.add(st);
      const done = (): void => {
        streams.delete(st);
      };
      call.on('data', (msg: Record<string, any>) => {
        record(st, msg);
        if (mode === 'sotw') onSotwRequest(st, msg);
        else onDeltaRequest(st, msg);
      });
      call.on('end', () => {
        done();
        call.end();
      });
      call.on('error', done);
      call.on('cancelled', done);
    };
  }

  async function bind(): Promise<void> {
    const s = new grpc.Server();
    s.addService(adsService().definition, { StreamAggregatedResources: handler('sotw'), DeltaAggregatedResources: handler('delta') });
    boundPort = await new Promise<number>((resolve, reject) => {
      s.bindAsync(`127.0.0.1:${boundPort}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
    });
    server = s;
  }

  function push(typeUrl: string): SentResponse[] {
    const out: SentResponse[] = [];
    for (const st of streams) {
      const sent = st.mode === 'sotw' ? (st.sotw.has(typeUrl) ? sendSotw(st, typeUrl) : undefined) : sendDelta(st, typeUrl);
      if (sent) out.push(sent);
    }
    return out;
  }

  function setAnys(typeUrl: string, items: { name: string; any: AnyValue }[], version?: string): SentResponse[] {
    const v = version ?? `v${++versionSeq}`;
    const previous = new Map((state.get(typeUrl)?.items ?? []).map((i) => [i.name, i]));
    state.set(typeUrl, {
      version: v,
      items: items.map((i) => {
        const old = previous.get(i.name);
        return { ...i, version: old && old.any.type_url === i.any.type_url && Buffer.compare(old.any.value, i.any.value) === 0 ? old.version : v };
      }),
    });
    return push(typeUrl);
  }

  function waitForRequest(pred: (r: RecordedRequest) => boolean, timeoutMs = 5000): Promise<RecordedRequest> {
    const found = requests.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onRequest = (r: RecordedRequest): void => {
        if (!pred(r)) return;
        clearTimeout(timer);
        events.off('request', onRequest);
        resolve(r);
      };
      const timer = setTimeout(() => {
        events.off('request', onRequest);
        reject(new Error(`ADS test server: no matching request within ${timeoutMs} ms (${requests.length} received)`));
      }, timeoutMs);
      events.on('request', onRequest);
    });
  }

  await bind();
  return {
    get port() {
      return boundPort;
    },
    requests,
    responses,
    streamCount: () => streams.size,
    set(typeUrl, resources, version) {
      return setAnys(typeUrl, resources.map((r) => ({ name: nameOf(typeUrl, r as Record<string, unknown>), any: encodeAny(r as Record<string, unknown>, typeUrl) })), version);
    },
    setAnys,
    waitForReply(sent, timeoutMs) {
      return waitForRequest((r) => r.streamId === sent.streamId && r.typeUrl === sent.typeUrl && r.msg.response_nonce === sent.nonce, timeoutMs);
    },
    waitForRequest,
    kill() {
      server?.forceShutdown();
      server = undefined;
      streams.clear();
    },
    restart: bind,
    async close() {
      server?.forceShutdown();
      server = undefined;
      streams.clear();
      events.removeAllListeners();
    },
  };
}
