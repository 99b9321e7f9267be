/**
 * Interop with gRPC's own proxyless xDS client (@grpc/grpc-js-xds): a real grpc-js channel with target
 * `xds:///echo.test:50051` gets its Listener (api_listener), RouteConfiguration, Cluster and
 * ClusterLoadAssignment from our control plane over SotW ADS, calls a real backend, follows a pushed
 * change to another backend, and ACKs every type (issue 5, item 7: nothing shadowgate-specific in the
 * ADS stream).
 *
 * grpc-js-xds reads its bootstrap once per process (GRPC_XDS_BOOTSTRAP_CONFIG, set below before the
 * first xds: channel) and keeps one XdsClient per process, so this file is one test in one process.
 * Set GRPC_TRACE=xds_client,xds_resolver GRPC_VERBOSITY=DEBUG to see the client's side of the stream.
 */
import t from 'tap';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ControlClient } from '../../src/cli/control-client';
import { HCM_TYPE, ROUTER_TYPE, client, pushDoc, startCp, until } from './helpers';

const TARGET = 'echo.test:50051';
const ROUTE = 'echo-route';
const ADS = { ads: {}, resource_api_version: 'V3' };

interface EchoReply {
  message: string;
  backend: string;
}

type EchoClient = grpc.Client & {
  Echo(req: { message: string }, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: EchoReply) => void): void;
};

function echoPackage(): { service: grpc.ServiceDefinition; Client: grpc.ServiceClientConstructor } {
  const def = protoLoader.loadSync(path.join(__dirname, '..', 'fixtures', 'grpc', 'echo.proto'), { keepCase: true });
  const Client = (grpc.loadPackageDefinition(def) as unknown as { shadowgate: { test: { echo: { Echo: grpc.ServiceClientConstructor } } } }).shadowgate.test.echo.Echo;
  return { service: Client.service, Client };
}

/** A gRPC Echo server on 127.0.0.1:0 that answers with its own name. */
async function startBackend(t: { teardown(fn: () => unknown): void }, name: string, service: grpc.ServiceDefinition): Promise<number> {
  const server = new grpc.Server();
  server.addService(service, {
    Echo: (call: grpc.ServerUnaryCall<{ message: string }, EchoReply>, cb: grpc.sendUnaryData<EchoReply>) => cb(null, { message: call.request.message, backend: name }),
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  t.teardown(() => new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 1_000);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  }));
  return port;
}

const ROUTER_FILTER = { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } };

/** gRPC's client-side Listener: no address, an api_listener holding the HttpConnectionManager. */
function apiListener(httpFilters: object[] = [ROUTER_FILTER]): object {
  return {
    name: TARGET,
    api_listener: {
      api_listener: {
        '@type': HCM_TYPE,
        stat_prefix: 'echo',
        rds: { route_config_name: ROUTE, config_source: ADS },
        http_filters: httpFilters,
      },
    },
  };
}

/** Push document for a proxyless gRPC client of TARGET: LDS api_listener → RDS → EDS clusters. */
function proxylessConfig(ports: Record<string, number>, route: object): { listeners: object[]; routes: object[]; clusters: object[]; endpoints: object[] } {
  return {
    listeners: [apiListener()],
    routes: [{ name: ROUTE, virtual_hosts: [{ name: 'echo', domains: [TARGET], routes: [{ match: { prefix: '' }, route }] }] }],
    clusters: Object.keys(ports).map((name) => ({
      name,
      type: 'EDS',
      connect_timeout: '1s',
      lb_policy: 'ROUND_ROBIN',
      eds_cluster_config: { eds_config: ADS },
    })),
    // gRPC (gRFC A27) uses only localities that have a locality and a load_balancing_weight.
    endpoints: Object.entries(ports).map(([name, port]) => ({
      cluster_name: name,
      endpoints: [{
        locality: { region: 'local', zone: 'a' },
        load_balancing_weight: 1,
        lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }],
      }],
    })),
  };
}

interface StatusReply {
  version: string;
  gateways: {
    node_id: string;
    group: string;
    protocol: string;
    state: string;
    user_agent: string;
    types: { type: string; acked_version: string; served_version: string; subscribed: string[]; last_nack?: { version: string; message: string } | null }[];
  }[];
}

t.test('grpc-js-xds (proxyless gRPC) consumes LDS/RDS/CDS/EDS from the control plane and follows a push', async (t) => {
  const started = Date.now();
  const echo = echoPackage();
  const ports = { 'echo-v1': await startBackend(t, 'v1', echo.service), 'echo-v2': await startBackend(t, 'v2', echo.service) };

  const cp = await startCp(t);
  const c: ControlClient = await client(t, cp);
  const first = await pushDoc(c, proxylessConfig(ports, { cluster: 'echo-v1' }));
  t.equal(first.version, '1');
  t.ok(first.warnings?.some((w) => w.path === 'listeners[0].api_listener'), 'api_listener accepted with a warning');

  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [{ server_uri: cp.address, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    // grpc-js-xds 1.14 refuses a bootstrap whose node has no locality ("locality field missing in
    // node element"), and then reports only a TypeError about clientDefaultListenerResourceNameTemplate.
    node: { id: 'grpc-client-1', cluster: 'proxyless', locality: {} },
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('@grpc/grpc-js-xds') as typeof import('@grpc/grpc-js-xds')).register();

  const stub = new echo.Client(`xds:///${TARGET}`, grpc.credentials.createInsecure()) as unknown as EchoClient;
  t.teardown(() => stub.close());

  const call = (message: string): Promise<EchoReply> => new Promise((resolve, reject) => {
    stub.Echo({ message }, { deadline: Date.now() + 2_000 }, (err, res) => (err ? reject(err) : resolve(res as EchoReply)));
  });
  const status = (): Promise<StatusReply> => c.call<StatusReply>('Status', {});
  /** Status on failure, so a NACK's reason is in the test output. */
  const diagnose = async (): Promise<string> => JSON.stringify((await status()).gateways, null, 1);

  // The first RPC waits for the whole xDS chain (LDS → RDS → CDS → EDS) and the backend connection.
  const firstReply = await until(async () => {
    try {
      return await call('hello');
    } catch (err) {
      if (Date.now() - started > 12_000) throw new Error(`${(err as Error).message}\ncontrol plane status: ${await diagnose()}`);
      return undefined;
    }
  }, 15_000, 'the first RPC through xds:///');
  t.same(firstReply, { message: 'hello', backend: 'v1' }, 'the RPC reached backend v1 through the xDS config');

  // A change through the push API: the route now sends everything to echo-v2 (weighted_clusters).
  const second = await c.call<{ version: string; changed: boolean }>('Push', {
    change: {
      upsert: {
        text: JSON.stringify({ routes: proxylessConfig(ports, { weighted_clusters: { clusters: [{ name: 'echo-v1', weight: 0 }, { name: 'echo-v2', weight: 100 }] } }).routes }),
        source: 'change.json',
      },
    },
  });
  t.match(second, { version: '2', changed: true });
  await until(async () => (await call('again').catch(() => undefined))?.backend === 'v2', 10_000, 'RPCs to reach backend v2 after the push');
  for (let i = 0; i < 5; i++) t.equal((await call(`after ${i}`)).backend, 'v2', `RPC ${i} after the push reaches v2`);

  // The control plane sees the proxyless client as an ordinary ADS client that ACKed every type.
  const synced = await until(async () => {
    const s = await status();
    const gw = s.gateways.find((g) => g.node_id === 'grpc-client-1');
    return gw?.state === 'SYNCED' && gw.types.length === 4 ? gw : undefined;
  }, 5_000, 'grpc-client-1 SYNCED').catch(async (err) => {
    throw new Error(`${(err as Error).message}\n${await diagnose()}`);
  });
  t.match(synced, { group: 'proxyless', protocol: 'SOTW', user_agent: /^gRPC Node Pure JS\// }, 'node from the bootstrap; SotW, as grpc-js-xds speaks by default');
  const byType = Object.fromEntries(synced.types.map((x) => [x.type, x]));
  t.same(Object.keys(byType).sort(), ['CDS', 'EDS', 'LDS', 'RDS']);
  t.equal(byType.LDS.acked_version, '1', 'LDS ACKed (unchanged by the route push)');
  t.equal(byType.RDS.acked_version, '2', 'RDS ACKed at the pushed version');
  t.equal(byType.CDS.acked_version, '1');
  t.equal(byType.EDS.acked_version, '1');
  for (const x of synced.types) t.notOk(x.last_nack, `${x.type}: never NACKed`);
  t.same(byType.LDS.subscribed, [TARGET], 'LDS subscribed by name, as gRPC does');
  t.same(byType.RDS.subscribed, [ROUTE]);
  t.same(byType.CDS.subscribed, ['echo-v1', 'echo-v2']);
  t.same(byType.EDS.subscribed, ['echo-v1', 'echo-v2']);

  // A listener gRPC rejects (the router filter must be the last HTTP filter) but Envoy's proto and
  // our push validation accept (api_listener: warnings only). grpc-js-xds NACKs it with
  // error_detail; the control plane records the NACK and the client keeps its last good config.
  const bad = apiListener([ROUTER_FILTER, { name: 'envoy.filters.http.fault', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } }]);
  const third = await c.call<{ version: string }>('Push', { change: { upsert: { text: JSON.stringify({ listeners: [bad] }), source: 'bad-listener.json' } } });
  t.equal(third.version, '3');
  const nacked = await until(async () => {
    const gw = (await status()).gateways.find((g) => g.node_id === 'grpc-client-1');
    return gw?.state === 'NACKED' ? gw : undefined;
  }, 5_000, 'grpc-client-1 to NACK version 3').catch(async (err) => {
    throw new Error(`${(err as Error).message}\n${await diagnose()}`);
  });
  const ldsNack = nacked.types.find((x) => x.type === 'LDS');
  t.equal(ldsNack?.last_nack?.version, '3', 'the NACK names the rejected LDS version');
  t.match(ldsNack?.last_nack?.message, /router filter is before the end of the list/, 'with gRPC\'s reason');
  t.equal(ldsNack?.acked_version, '1', 'LDS stays ACKed at the last good version');
  t.equal((await call('during NACK')).backend, 'v2', 'the client keeps serving its last good config');

  // The fix is served as a new version and ACKed; the NACK stays visible in last_nack.
  const fourth = await c.call<{ version: string }>('Push', { change: { upsert: { text: JSON.stringify({ listeners: [apiListener()] }), source: 'fix.json' } } });
  t.equal(fourth.version, '4');
  const fixed = await until(async () => {
    const gw = (await status()).gateways.find((g) => g.node_id === 'grpc-client-1');
    return gw?.state === 'SYNCED' ? gw : undefined;
  }, 5_000, 'grpc-client-1 SYNCED at version 4');
  t.match(fixed.types.find((x) => x.type === 'LDS'), { acked_version: '4', last_nack: { version: '3' } });
  t.equal((await call('after fix')).backend, 'v2');
  t.comment(`interop test body took ${Date.now() - started} ms`);
});
