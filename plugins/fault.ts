/**
 * Envoy's fault filter (envoy.filters.http.fault) when the HCM lists it: a fixed delay and/or an abort
 * for a fraction of requests. It runs before the router, so an abort also means no shadow.
 */
import fp from 'fastify-plugin';
import type { GatewayPluginOptions } from './options';
import { sampleFraction } from '../src/routing/matchers';
import { defaultRandom } from '../src/routing/route-table';
import { sendLocalReply } from './local-reply';

export default fp<GatewayPluginOptions>(async (app, opts) => {
  const random = opts.random ?? defaultRandom;
  app.addHook('preHandler', (request, reply, done) => {
    const { hcm } = request.gw.listener;
    const fault = hcm.httpFilters.length > 1 ? hcm.httpFilters.find((f) => f.kind === 'fault')?.fault : undefined;
    if (!fault) {
      done();
      return;
    }
    const prefix = `http.${hcm.statPrefix}.fault`;
    const abort = (): void => {
      if (fault.abort && sampleFraction(fault.abort.fraction, random)) {
        opts.stats.counter(`${prefix}.aborts_injected`).inc();
        sendLocalReply(request, reply, { status: fault.abort.httpStatus, body: 'fault filter abort', flag: 'FI' });
        return;
      }
      done();
    };
    if (fault.delay && sampleFraction(fault.delay.fraction, random)) {
      opts.stats.counter(`${prefix}.delays_injected`).inc();
      setTimeout(abort, fault.delay.fixedDelayMs);
    } else {
      abort();
    }
  });
}, { name: 'shadowgate-fault', dependencies: ['shadowgate-router'] });
