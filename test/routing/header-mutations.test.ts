/**
 * request/response_headers_to_add/remove at weighted-cluster, route, virtual-host and route-config
 * level, in Envoy's order (RouteEntryImplBase::finalizeRequestHeaders): the weighted cluster first, then
 * route → virtual host → route configuration (the most general wins an overwrite), or route configuration
 * → virtual host → route with most_specific_header_mutations_wins; each level removes before it adds.
 * append_action variants and keep_empty_value. Checked on what a real upstream receives and what the
 * client gets back.
 */
import t from 'tap';
import { startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, staticCluster, startGateway } from '../helpers/gateway';
import { send } from '../helpers/http';

const add = (key: string, value: string, extra: object = {}) => ({ header: { key, value }, ...extra });

function levels(tag: string): object {
  return {
    request_headers_to_add: [add('x-order', tag), add('x-overwrite', tag, { append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })],
    response_headers_to_add: [add('x-order', tag), add('x-overwrite', tag, { append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })],
  };
}

function routeConfigFor(mostSpecific: boolean): object {
  return {
    name: 'rc',
    most_specific_header_mutations_wins: mostSpecific,
    ...levels('global'),
    virtual_hosts: [{
      name: 'vh',
      domains: ['*'],
      ...levels('vhost'),
      routes: [
        {
          match: { prefix: '/weighted' },
          route: { weighted_clusters: { clusters: [{ name: 'up', weight: 1, ...levels('cluster') }] } },
          ...levels('route'),
        },
        { match: { prefix: '/' }, route: { cluster: 'up' }, ...levels('route') },
      ],
    }],
  };
}

t.test('order of evaluation across levels', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  up.setHandler((_req, res) => {
    res.setHeader('x-order', 'upstream');
    res.setHeader('x-overwrite', 'upstream');
    res.end('ok');
  });
  const gw = await startGateway(bootstrapWith(
    [httpListener('default', routeConfigFor(false)), httpListener('specific', routeConfigFor(true))],
    [staticCluster('up', [up.port])],
  ));
  t.teardown(() => gw.close());
  const base = (l: string) => `http://127.0.0.1:${gw.port(l)}`;
  // [listener, path, x-order upstream sees, x-overwrite upstream sees]
  const cases: [string, string, string, string][] = [
    ['default', '/', 'client, route, vhost, global', 'global'],
    ['specific', '/', 'client, global, vhost, route', 'route'],
    // The weighted cluster's mutations run before the route's, whatever the setting.
    ['default', '/weighted', 'client, cluster, route, vhost, global', 'global'],
    ['specific', '/weighted', 'client, cluster, global, vhost, route', 'route'],
  ];
  for (const [listener, path, order, overwrite] of cases) {
    const res = await send(base(listener), path, { headers: { 'x-order': 'client', 'x-overwrite': 'client' } });
    const got = up.received[up.received.length - 1].headers;
    t.equal(got['x-order'], order, `${listener} ${path}: request x-order`);
    t.equal(got['x-overwrite'], overwrite, `${listener} ${path}: request x-overwrite`);
    // Response side, same order, starting from what the upstream sent (appended values are separate lines).
    t.equal(([] as string[]).concat(res.headers['x-order'] ?? []).join(', '), order.replace('client', 'upstream'), `${listener} ${path}: response x-order`);
    t.equal(res.headers['x-overwrite'], overwrite, `${listener} ${path}: response x-overwrite`);
  }
});

t.test('removal and append actions', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  up.setHandler((_req, res) => {
    res.setHeader('x-secret', 'leak');
    res.setHeader('x-keep', 'upstream');
    res.end('ok');
  });
  const rc = {
    name: 'rc',
    // The route configuration removes a header the route adds: the route runs first, so it is gone.
    request_headers_to_remove: ['x-route-added'],
    response_headers_to_remove: ['x-secret'],
    virtual_hosts: [{
      name: 'vh',
      domains: ['*'],
      request_headers_to_remove: ['x-drop-me'],
      routes: [{
        match: { prefix: '/' },
        route: { cluster: 'up' },
        // Within one level, removal happens before addition.
        request_headers_to_remove: ['x-replace'],
        request_headers_to_add: [
          add('x-replace', 'new'),
          add('x-route-added', 'r'),
          add('x-append', 'added'),
          add('x-if-absent', 'added', { append_action: 'ADD_IF_ABSENT' }),
          add('x-if-absent-2', 'added', { append_action: 'ADD_IF_ABSENT' }),
          add('x-overwrite-or-add', 'added', { append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }),
          add('x-overwrite-only', 'added', { append_action: 'OVERWRITE_IF_EXISTS' }),
          add('x-overwrite-only-2', 'added', { append_action: 'OVERWRITE_IF_EXISTS' }),
          add('x-legacy-false', 'added', { append: false }),
          add('x-legacy-true', 'added', { append: true }),
          add('x-empty', ''),
          add('x-empty-kept', '', { keep_empty_value: true }),
          add('x-percent', '100%%'),
        ],
        response_headers_to_remove: ['x-keep-not'],
        response_headers_to_add: [add('x-keep', 'route', { append_action: 'ADD_IF_ABSENT' })],
      }],
    }],
  };
  const gw = await startGateway(bootstrapWith([httpListener('ingress', rc)], [staticCluster('up', [up.port])]));
  t.teardown(() => gw.close());
  const res = await send(gw.url, '/', {
    headers: {
      'x-replace': 'old',
      'x-drop-me': '1',
      'x-append': 'client',
      'x-if-absent': 'client',
      'x-overwrite-or-add': 'client',
      'x-overwrite-only': 'client',
      'x-legacy-false': 'client',
      'x-legacy-true': 'client',
    },
  });
  t.equal(res.status, 200);
  const h = up.received[0].headers;
  const cases: [string, string | undefined][] = [
    ['x-replace', 'new'],
    ['x-route-added', undefined],
    ['x-drop-me', undefined],
    ['x-append', 'client, added'],
    ['x-if-absent', 'client'],
    ['x-if-absent-2', 'added'],
    ['x-overwrite-or-add', 'added'],
    ['x-overwrite-only', 'added'],
    ['x-overwrite-only-2', undefined],
    ['x-legacy-false', 'added'],
    ['x-legacy-true', 'client, added'],
    ['x-empty', undefined],
    ['x-empty-kept', ''],
    ['x-percent', '100%'],
  ];
  for (const [name, want] of cases) t.equal(h[name], want, `${name} upstream: ${String(want)}`);
  t.equal(res.headers['x-secret'], undefined, 'response_headers_to_remove at route-config level');
  t.equal(res.headers['x-keep'], 'upstream', 'ADD_IF_ABSENT keeps the upstream value');
});
