/**
 * The admin API subset, in Envoy's shapes: /ready (LIVE, DRAINING after POST /healthcheck/fail, GET on a
 * mutation → 400), /server_info, /config_dump, /clusters, /stats (filter, usedonly, json) and
 * /stats/prometheus with Envoy's names and tags, and the counters the proxy path bumps.
 */
import t from 'tap';
import { startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster, startGateway } from '../helpers/gateway';
import { send } from '../helpers/http';

t.test('admin endpoints', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  up.setHandler((req, res) => {
    res.statusCode = req.url === '/fail' ? 503 : 200;
    res.end('x');
  });
  const rc = routeConfig([
    { match: { prefix: '/slow' }, route: { cluster: 'up', timeout: '0.05s' } },
    { match: { prefix: '/' }, route: { cluster: 'up' } },
  ], {}, ['svc.example']);
  const gw = await startGateway(bootstrapWith(
    [httpListener('ingress', rc)],
    [staticCluster('up', [up.port], { circuit_breakers: { thresholds: [{ max_connections: 7, max_requests: 9 }] } })],
    { node: { id: 'node-1', cluster: 'edge' } },
  ));
  t.teardown(() => gw.close());
  const admin = (path: string, method = 'GET') => send(gw.adminUrl, path, { method });
  const proxy = (path: string, host = 'svc.example') => send(gw.url, path, { headers: { host } });

  // Traffic for the counters: 3 × 200, 1 × upstream 503, 1 × no route.
  for (let i = 0; i < 3; i++) t.equal((await proxy('/ok')).status, 200);
  t.equal((await proxy('/fail')).status, 503);
  t.equal((await proxy('/ok', 'unknown.example')).status, 404);

  t.test('/ready and /healthcheck/fail', async (t) => {
    const ready = await admin('/ready');
    t.equal(ready.status, 200);
    t.equal(ready.body, 'LIVE\n');
    const get = await admin('/healthcheck/fail');
    t.equal(get.status, 400, 'a mutation over GET is refused');
    t.equal((await admin('/ready')).body, 'LIVE\n', 'and does nothing');
    t.equal((await admin('/healthcheck/fail', 'POST')).status, 200);
    const draining = await admin('/ready');
    t.equal(draining.status, 503);
    t.equal(draining.body, 'DRAINING\n');
    t.equal(JSON.parse((await admin('/server_info')).body).state, 'DRAINING');
    t.equal((await admin('/healthcheck/ok', 'POST')).status, 200);
    t.equal((await admin('/ready')).body, 'LIVE\n');
  });

  t.test('/server_info', async (t) => {
    const res = await admin('/server_info');
    t.equal(res.status, 200);
    t.match(res.headers['content-type'], /application\/json/);
    const info = JSON.parse(res.body);
    t.match(info, { state: 'LIVE', node: { id: 'node-1', cluster: 'edge' } });
    t.match(info.version, /^[^/]+\/[^/]+\/(Clean|Modified)\/(RELEASE|DEBUG)\/.+$/, 'version in Envoy\'s <sha>/<version>/<Clean|Modified>/<RELEASE|DEBUG>/<ssl> shape');
    t.match(info.uptime_current_epoch, /^\d+s$/);
    t.match(info.uptime_all_epochs, /^\d+s$/);
    t.type(info.command_line_options, 'object');
  });

  t.test('/config_dump', async (t) => {
    const res = await admin('/config_dump');
    t.equal(res.status, 200);
    const dump = JSON.parse(res.body) as { configs: Record<string, unknown>[] };
    const byType = new Map(dump.configs.map((c) => [String(c['@type']).replace('type.googleapis.com/envoy.admin.v3.', ''), c]));
    t.same([...byType.keys()], ['BootstrapConfigDump', 'ClustersConfigDump', 'ListenersConfigDump', 'RoutesConfigDump'], 'Envoy\'s order of sections');
    t.match(byType.get('BootstrapConfigDump'), { bootstrap: { node: { id: 'node-1' } } });
    t.match(byType.get('ClustersConfigDump'), {
      static_clusters: [{ cluster: { '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster', name: 'up' }, last_updated: /^\d{4}-\d\d-\d\dT/ }],
    });
    t.match(byType.get('ListenersConfigDump'), {
      static_listeners: [{ listener: { '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener', name: 'ingress' } }],
    });
    t.match(byType.get('RoutesConfigDump'), {
      static_route_configs: [{ route_config: { '@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration', name: 'local_route' } }],
    });
  });

  t.test('/clusters', async (t) => {
    const res = await admin('/clusters');
    t.equal(res.status, 200);
    const lines = res.body.trimEnd().split('\n');
    const host = `up::127.0.0.1:${up.port}`;
    for (const line of [
      'up::observability_name::up',
      'up::default_priority::max_connections::7',
      'up::default_priority::max_pending_requests::1024',
      'up::default_priority::max_requests::9',
      'up::default_priority::max_retries::3',
      'up::high_priority::max_connections::1024',
      'up::high_priority::max_pending_requests::1024',
      'up::high_priority::max_requests::1024',
      'up::high_priority::max_retries::3',
      'up::added_via_api::false',
      `${host}::rq_active::0`,
      `${host}::rq_total::4`,
      `${host}::hostname::`,
      `${host}::health_flags::healthy`,
      `${host}::weight::1`,
      `${host}::canary::false`,
      `${host}::priority::0`,
      `${host}::success_rate::-1`,
    ]) t.ok(lines.includes(line), line);
    t.ok(lines.every((l) => /^[^:]+(::[^:]+)*::.*$/.test(l)), 'every line is cluster::…::value');
    const json = JSON.parse((await admin('/clusters?format=json')).body);
    t.match(json, { cluster_statuses: [{ name: 'up', added_via_api: false, host_statuses: [{ address: { socket_address: { address: '127.0.0.1', port_value: up.port } } }] }] });
  });

  t.test('/stats', async (t) => {
    const text = (await admin('/stats')).body;
    const stats = new Map(text.trimEnd().split('\n').map((l) => {
      const i = l.lastIndexOf(': ');
      return [l.slice(0, i), Number(l.slice(i + 2))] as [string, number];
    }));
    const names = [...stats.keys()];
    t.same(names, [...names].sort(), 'sorted by name');
    const want: [string, number][] = [
      ['cluster.up.upstream_rq_total', 4],
      ['cluster.up.upstream_rq_2xx', 3],
      ['cluster.up.upstream_rq_200', 3],
      ['cluster.up.upstream_rq_5xx', 1],
      ['cluster.up.upstream_rq_503', 1],
      ['http.ingress.downstream_rq_total', 5],
      ['http.ingress.downstream_rq_2xx', 3],
      ['http.ingress.downstream_rq_4xx', 1],
      ['http.ingress.downstream_rq_5xx', 1],
      ['http.ingress.no_route', 1],
    ];
    for (const [name, value] of want) t.equal(stats.get(name), value, `${name}: ${value}`);
    const filtered = (await admin('/stats?filter=upstream_rq_2')).body.trimEnd().split('\n');
    t.same(filtered.map((l) => l.split(':')[0]).sort(), ['cluster.up.upstream_rq_200', 'cluster.up.upstream_rq_2xx'], 'filter is a partial RE2 match');
    t.equal((await admin('/stats?filter=(')).status, 400, 'an invalid filter regex is refused');
    const used = (await admin('/stats?usedonly')).body;
    t.notMatch(used, /: 0\n/, 'usedonly leaves out what was never used');
    t.match(used, /cluster\.up\.upstream_rq_total: 4/);
    const json = JSON.parse((await admin('/stats?format=json&filter=no_route')).body);
    t.same(json, { stats: [{ name: 'http.ingress.no_route', value: 1 }] });
  });

  t.test('timeouts are counted', async (t) => {
    up.setHandler((_req, res) => setTimeout(() => res.end('late'), 300));
    t.equal((await proxy('/slow')).status, 504);
    const text = (await admin('/stats?filter=timeout')).body;
    t.match(text, /cluster\.up\.upstream_rq_timeout: 1/);
  });

  t.test('/stats/prometheus: envoy_ names, tags as labels', async (t) => {
    const res = await admin('/stats/prometheus');
    t.equal(res.status, 200);
    t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    const body = res.body;
    t.match(body, /^# TYPE envoy_cluster_upstream_rq_total counter$/m);
    t.match(body, /^envoy_cluster_upstream_rq_total\{envoy_cluster_name="up"\} 5$/m);
    t.match(body, /^envoy_http_downstream_rq_total\{envoy_http_conn_manager_prefix="ingress"\} 6$/m);
    t.match(body, /^envoy_http_no_route\{envoy_http_conn_manager_prefix="ingress"\} 1$/m);
    // Envoy's response-code tag extractors: upstream_rq_200 → upstream_rq{envoy_response_code="200"},
    // upstream_rq_2xx → upstream_rq_xx{envoy_response_code_class="2"}.
    t.match(body, /^envoy_cluster_upstream_rq\{envoy_response_code="200",envoy_cluster_name="up"\} 3$/m);
    t.match(body, /^envoy_cluster_upstream_rq_xx\{envoy_response_code_class="2",envoy_cluster_name="up"\} 3$/m);
    t.match(body, /^envoy_cluster_upstream_rq_xx\{envoy_response_code_class="5",envoy_cluster_name="up"\} 2$/m);
    t.match(body, /^envoy_http_downstream_rq_xx\{envoy_response_code_class="4",envoy_http_conn_manager_prefix="ingress"\} 1$/m);
    t.match(body, /^# TYPE envoy_cluster_upstream_rq_active gauge$/m);
    t.notMatch(body, /envoy_cluster_upstream_rq_200\b/, 'no per-code metric names');
    const families = body.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    t.equal(new Set(families).size, families.length, 'one TYPE line per metric family');
    t.equal((await admin('/stats?format=prometheus')).body, body, '/stats?format=prometheus is the same');
  });
});
