/**
 * Builds one listener: a Fastify instance with the gateway chain registered, bound to the listener's
 * address. This file is part of the composition root, the only place in src/ that imports plugins/.
 */
import http from 'node:http';
import Fastify, { FastifyBaseLogger, LogController } from 'fastify';
import { ListenerModel } from '../config/model';
import { Gateway, ListenerServer } from '../gateway/gateway';
import { ShadowgateError } from '../errors';
import { registerGatewayChain } from '../../plugins';
import type { RandomSource } from '../routing/route-table';
import type { ShadowOptions } from '../mirror/shadow-options';

export interface ListenerServerOptions {
  logger: FastifyBaseLogger;
  random?: RandomSource;
  shadow?: ShadowOptions;
}

export function listenerFactory(options: ListenerServerOptions) {
  return async (model: ListenerModel, gateway: Gateway): Promise<ListenerServer> => {
    const hcm = model.hcm;
    const app = Fastify({
      loggerInstance: options.logger.child({ listener: model.name }),
      // Per-request logging would double the cost of a proxied request; stats and traces cover it.
      logController: new LogController({ disableRequestLogging: true }),
      return503OnClosing: true,
      forceCloseConnections: 'idle',
      // Headers larger than max_request_headers_kb get 431 from Node's parser, as Envoy answers.
      serverFactory: (handler) => {
        const server = http.createServer({ maxHeaderSize: hcm.maxRequestHeadersKb * 1024, requireHostHeader: false }, handler);
        // Fastify applies its timeout options only to servers it creates itself.
        server.keepAliveTimeout = hcm.idleTimeoutMs;
        server.requestTimeout = hcm.requestTimeoutMs;
        server.headersTimeout = hcm.requestTimeoutMs > 0 ? Math.min(hcm.requestTimeoutMs, 60_000) : 60_000;
        return server;
      },
      // Paths go upstream byte for byte; Fastify must not reject or rewrite them.
      routerOptions: { ignoreDuplicateSlashes: false, ignoreTrailingSlash: false, maxParamLength: 65535 },
    });
    await registerGatewayChain(app, {
      listenerName: model.name,
      store: gateway.store,
      clusters: gateway.clusters,
      stats: gateway.stats,
      tracer: gateway.tracer,
      ...(options.random ? { random: options.random } : {}),
      ...(options.shadow ? { shadow: options.shadow } : {}),
    });
    try {
      await app.listen({ host: model.host, port: model.port });
    } catch (err) {
      await app.close().catch(() => undefined);
      const code = (err as NodeJS.ErrnoException).code;
      const reason = code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
      throw new ShadowgateError('SG_ERR_LISTENER_BIND', `listener "${model.name}": cannot bind ${model.host}:${model.port}: ${reason}`, { cause: err });
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : model.port;
    return { port, close: () => app.close() };
  };
}
