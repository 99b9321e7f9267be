/**
 * TLS on the shared port: server-only TLS (ADS and push API), then mutual TLS. Certificates are made
 * at test time with the openssl command line; without it the test is skipped, saying so.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { adsService } from '../../src/xds/protos';
import { ControlClient } from '../../src/cli/control-client';
import { CDS, RawAds, SotwResponse, names, node, pushDoc, sampleConfig, startCp, tempDir } from './helpers';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all P-256, valid one day. */
function makeCerts(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const f = (n: string): string => path.join(dir, n);
  const ossl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=shadowgate-test-ca');
  for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], ['client', 'extendedKeyUsage=clientAuth']]) {
    ossl('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`);
    fs.writeFileSync(f(`${name}.ext`), `${ext}\n`);
    ossl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '1', '-extfile', f(`${name}.ext`));
  }
  return { ca: f('ca.crt'), serverCert: f('server.crt'), serverKey: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') };
}

function adsOver(address: string, creds: grpc.ChannelCredentials): RawAds<SotwResponse> {
  const { Client } = adsService();
  return new RawAds<SotwResponse>(new Client(address, creds, { 'grpc.use_local_subchannel_pool': 1 }), 'StreamAggregatedResources');
}

t.test('TLS and mutual TLS for ADS and the push API', { skip: hasOpenssl() ? false : 'the openssl command is not installed: cannot make test certificates' }, async (t) => {
  const dir = tempDir(t);
  const certs = makeCerts(dir);
  const ca = fs.readFileSync(certs.ca);

  const tls = await startCp(t, { tls: { cert: certs.serverCert, key: certs.serverKey } });
  const c = await ControlClient.connect({ server: tls.address, 'token-file': tls.tokenFile, 'tls-ca': certs.ca });
  t.teardown(() => c.close());
  t.equal((await pushDoc(c, sampleConfig())).version, '1', 'push API over TLS');
  const ads = adsOver(tls.address, grpc.credentials.createSsl(ca));
  t.teardown(() => ads.close());
  ads.send({ node: node('tls-gw'), type_url: CDS });
  t.same(names(await ads.next(CDS)), ['v1'], 'ADS over TLS');
  const plain = await ControlClient.connect({ server: tls.address, 'token-file': tls.tokenFile });
  t.teardown(() => plain.close());
  await t.rejects(plain.call('Status', {}, 3_000), { code: grpc.status.UNAVAILABLE }, 'plaintext is refused');

  const mtls = await startCp(t, { tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca } });
  const withCert = adsOver(mtls.address, grpc.credentials.createSsl(ca, fs.readFileSync(certs.clientKey), fs.readFileSync(certs.clientCert)));
  t.teardown(() => withCert.close());
  const operator = await ControlClient.connect({ server: mtls.address, 'token-file': mtls.tokenFile, 'tls-ca': certs.ca, 'tls-cert': certs.clientCert, 'tls-key': certs.clientKey });
  t.teardown(() => operator.close());
  await pushDoc(operator, sampleConfig());
  withCert.send({ node: node('mtls-gw'), type_url: CDS });
  t.same(names(await withCert.next(CDS)), ['v1'], 'ADS with a client certificate');
  const noCert = await ControlClient.connect({ server: mtls.address, 'token-file': mtls.tokenFile, 'tls-ca': certs.ca });
  t.teardown(() => noCert.close());
  await t.rejects(noCert.call('Status', {}, 3_000), { code: grpc.status.UNAVAILABLE }, 'no client certificate: the handshake fails');
});
