/**
 * Virtual-host selection by Host, as Envoy's RouteMatcher::findVirtualHost: exact, then the longest
 * `*.suffix`, then the longest `prefix.*`, then `*`; a wildcard covers at least one character; the port is
 * part of the host unless strip_any_host_port / strip_matching_host_port / ignore_port_in_host_matching.
 * Every case goes through a running gateway to a real upstream; the chosen virtual host is named by a
 * request header each virtual host adds.
 */
import t from 'tap';
import { startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, staticCluster, startGateway } from '../helpers/gateway';
import { send } from '../helpers/http';

function vhost(name: string, domains: string[]): object {
  return {
    name,
    domains,
    routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }],
    request_headers_to_add: [{ header: { key: 'x-vhost', value: name } }],
    response_headers_to_add: [{ header: { key: 'x-vhost', value: name } }],
  };
}

const VHOSTS = [
  vhost('exact', ['www.example.com']),
  vhost('suffix-long', ['*.api.example.com']),
  vhost('suffix-short', ['*.example.com']),
  vhost('suffix-dash', ['*-bar.foo.com']),
  vhost('prefix-short', ['api.*']),
  vhost('prefix-long', ['api.v2.*']),
  vhost('with-port', ['ported.com:8080']),
  vhost('port-wildcard', ['wild.com:*']),
  vhost('mixed-case', ['MiXeD.CoM']),
  vhost('ipv6', ['[::1]']),
  vhost('default', ['*']),
];

t.test('virtual host selection', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  const rc = (extra: object = {}) => ({ name: 'rc', virtual_hosts: VHOSTS, ...extra });
  const gw = await startGateway(bootstrapWith(
    [
      httpListener('plain', rc()),
      httpListener('strip_any', rc(), { strip_any_host_port: true }),
      httpListener('strip_matching', rc(), { strip_matching_host_port: true }),
      httpListener('ignore_port', rc({ ignore_port_in_host_matching: true })),
    ],
    [staticCluster('up', [up.port])],
  ));
  t.teardown(() => gw.close());
  const base = (listener: string) => `http://127.0.0.1:${gw.port(listener)}`;

  // [listener, Host header, expected virtual host]
  const cases: [string, string, string][] = [
    ['plain', 'www.example.com', 'exact'],
    ['plain', 'WWW.Example.COM', 'exact'],
    ['plain', 'mixed.com', 'mixed-case'],
    ['plain', 'a.api.example.com', 'suffix-long'],
    ['plain', 'x.example.com', 'suffix-short'],
    // A suffix wildcard beats a prefix wildcard that also matches.
    ['plain', 'api.example.com', 'suffix-short'],
    // The wildcard must cover at least one character ("*.foo.com" does not match ".foo.com").
    ['plain', '.example.com', 'default'],
    ['plain', 'baz-bar.foo.com', 'suffix-dash'],
    ['plain', '-bar.foo.com', 'default'],
    ['plain', 'api.other.org', 'prefix-short'],
    ['plain', 'api.v2.other.org', 'prefix-long'],
    ['plain', 'api.', 'default'],
    ['plain', 'nothing.org', 'default'],
    // The port is part of the host: no exact or suffix match with a port.
    ['plain', 'www.example.com:8080', 'default'],
    ['plain', 'x.example.com:8080', 'default'],
    ['plain', 'ported.com:8080', 'with-port'],
    ['plain', 'ported.com', 'default'],
    ['plain', 'wild.com:9999', 'port-wildcard'],
    ['plain', 'wild.com', 'default'],
    ['plain', '[::1]:8080', 'default'],
    ['strip_any', 'www.example.com:1234', 'exact'],
    ['strip_any', 'x.example.com:80', 'suffix-short'],
    ['strip_any', '[::1]:8080', 'ipv6'],
    ['strip_any', 'ported.com:8080', 'default'],
    ['strip_matching', 'www.example.com:1', 'default'],
    ['ignore_port', 'www.example.com:1234', 'exact'],
    ['ignore_port', '[::1]:80', 'ipv6'],
    ['ignore_port', 'wild.com:9999', 'default'],
  ];
  for (const [listener, host, want] of cases) {
    const res = await send(base(listener), '/', { headers: { host } });
    t.equal(res.status, 200, `${listener} ${host}: status`);
    t.equal(res.headers['x-vhost'], want, `${listener} ${host} → ${want}`);
  }
  t.equal(up.received.length, cases.length, 'every request reached the upstream');

  t.test('strip_matching_host_port strips only the listener\'s own port', async (t) => {
    const port = gw.port('strip_matching');
    const res = await send(base('strip_matching'), '/', { headers: { host: `www.example.com:${port}` } });
    t.equal(res.headers['x-vhost'], 'exact');
    const last = up.received[up.received.length - 1];
    t.equal(last.headers.host, 'www.example.com', 'the Host sent upstream has the port removed');
  });

  t.test('strip_any_host_port rewrites Host upstream; ignore_port_in_host_matching does not', async (t) => {
    await send(base('strip_any'), '/', { headers: { host: 'www.example.com:1234' } });
    t.equal(up.received[up.received.length - 1].headers.host, 'www.example.com');
    await send(base('ignore_port'), '/', { headers: { host: 'www.example.com:1234' } });
    t.equal(up.received[up.received.length - 1].headers.host, 'www.example.com:1234');
  });
});

t.test('no virtual host matches: 404 with an empty body, no_route counted', async (t) => {
  const up = await startUpstream('up');
  t.teardown(() => up.close());
  const gw = await startGateway(bootstrapWith(
    [httpListener('ingress', { name: 'rc', virtual_hosts: [vhost('only', ['only.example.com'])] })],
    [staticCluster('up', [up.port])],
  ));
  t.teardown(() => gw.close());
  const res = await send(gw.url, '/', { headers: { host: 'other.example.com' } });
  t.equal(res.status, 404);
  t.equal(res.body, '');
  t.equal(res.headers['content-type'], undefined, 'no content-type without a body');
  t.equal(up.received.length, 0);
  const stats = await send(gw.adminUrl, '/stats?filter=no_route');
  t.match(stats.body, /http\.ingress\.no_route: 1/);
});
