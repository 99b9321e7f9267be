/** Envoy's shadow Host rule (shadow_writer_impl.cc shadowAppendedHost), unit and end to end. */
import t from 'tap';
import { request } from 'undici';
import { shadowHost } from '../../src/routing/host';
import { shadowAuthority } from '../../src/mirror/shadow-headers';
import { startUpstream } from '../helpers/upstream';
import { bootstrapWith, httpListener, routeConfig, staticCluster } from '../helpers/gateway';
import { mirrorRoute, startMirrorGateway } from './helpers';

t.test('shadowAppendedHost: suffix before the port, IPv6-safe', async (t) => {
  const cases: [string, string][] = [
    ['foo', 'foo-shadow'],
    ['foo:8080', 'foo-shadow:8080'],
    ['cluster1:8000', 'cluster1-shadow:8000'],
    ['[::1]:80', '[::1]-shadow:80'],
    ['[::1]', '[::1]-shadow'],
    ['[2001:db8::1]:443', '[2001:db8::1]-shadow:443'],
    ['10.0.0.1:80', '10.0.0.1-shadow:80'],
  ];
  for (const [input, want] of cases) t.equal(shadowHost(input), want, input);
});

t.test('shadowAuthority: disable_shadow_host_suffix_append and host_rewrite_literal', async (t) => {
  t.equal(shadowAuthority('foo:8080', { disableShadowHostSuffixAppend: false }), 'foo-shadow:8080');
  t.equal(shadowAuthority('foo:8080', { disableShadowHostSuffixAppend: true }), 'foo:8080');
  // The literal replaces the whole host, port included, and implies no suffix (proto field 8).
  t.equal(shadowAuthority('foo:8080', { disableShadowHostSuffixAppend: true, hostRewriteLiteral: 'canary.internal' }), 'canary.internal');
  t.equal(shadowAuthority('foo:8080', { disableShadowHostSuffixAppend: false, hostRewriteLiteral: 'canary.internal' }), 'canary.internal');
  t.equal(shadowAuthority(undefined, { disableShadowHostSuffixAppend: false }), undefined);
});

t.test('Host at the shadow for each policy shape and the route host_rewrite_literal', async (t) => {
  const primary = await startUpstream('primary');
  const shadow = await startUpstream('shadow');
  t.teardown(() => Promise.all([primary.close(), shadow.close()]));
  const gw = await startMirrorGateway(bootstrapWith(
    [httpListener('ingress', routeConfig([
      mirrorRoute('/plain', 'primary', [{ cluster: 'shadow' }]),
      mirrorRoute('/nosuffix', 'primary', [{ cluster: 'shadow', disable_shadow_host_suffix_append: true }]),
      mirrorRoute('/literal', 'primary', [{ cluster: 'shadow', host_rewrite_literal: 'dark.internal:9090' }]),
      // envoy#9094: the suffix goes on the host the route already rewrote.
      mirrorRoute('/routelit', 'primary', [{ cluster: 'shadow' }], { host_rewrite_literal: 'backend.svc' }),
    ]))],
    [staticCluster('primary', [primary.port]), staticCluster('shadow', [shadow.port])],
  ));
  t.teardown(() => gw.close());
  const cases: [string, string, string, string][] = [
    ['/plain', 'shop.example', 'shop.example', 'shop.example-shadow'],
    ['/plain', 'shop.example:8080', 'shop.example:8080', 'shop.example-shadow:8080'],
    ['/plain', '[::1]:8080', '[::1]:8080', '[::1]-shadow:8080'],
    ['/nosuffix', 'shop.example:8080', 'shop.example:8080', 'shop.example:8080'],
    ['/literal', 'shop.example:8080', 'shop.example:8080', 'dark.internal:9090'],
    ['/routelit', 'shop.example:8080', 'backend.svc', 'backend.svc-shadow'],
  ];
  let n = 0;
  for (const [path, host, wantPrimary, wantShadow] of cases) {
    const res = await request(`${gw.url}${path}`, { headers: { host } });
    await res.body.text();
    t.equal(res.statusCode, 200);
    n++;
    const p = (await primary.waitFor(n))[n - 1];
    const s = (await shadow.waitFor(n))[n - 1];
    t.equal(p.headers.host, wantPrimary, `${path} ${host}: primary`);
    t.equal(s.headers.host, wantShadow, `${path} ${host}: shadow`);
  }
});
