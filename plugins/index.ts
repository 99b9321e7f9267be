/**
 * The request chain of one listener, in Envoy's filter order:
 * config snapshot → tracing → route match → fault → mirror → weighted primary.
 */
import type { FastifyInstance } from 'fastify';
import type { GatewayPluginOptions } from './options';
import configStore from './config-store';
import tracing from './tracing';
import router from './router';
import fault from './fault';
import mirror from './mirror';
import primary from './primary';

export async function registerGatewayChain(app: FastifyInstance, opts: GatewayPluginOptions): Promise<void> {
  await app.register(configStore, opts);
  await app.register(tracing, opts);
  await app.register(router, opts);
  await app.register(fault, opts);
  await app.register(mirror, opts);
  await app.register(primary, opts);
}

export type { GatewayPluginOptions };
