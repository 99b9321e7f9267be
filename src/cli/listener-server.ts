/**
 * Builds one listener: a Fastify instance with the gateway chain registered, bound to the listener's
 * address. This file is part of the composition root, the only place in src/ that imports plugins/.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
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
      clientErrorHandler: (err, socket) => codecErrorReply(err as NodeJS.ErrnoException, socket, hcm.serverName),
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

/**
 * What Envoy's HTTP/1 codec answers to a request it cannot parse (ServerConnectionImpl::sendProtocolError
 * → a local reply with the status text as body) before it closes the connection: 400 "Bad Request", 431
 * for headers over max_request_headers_kb, 408 "request timeout" for request_timeout. Envoy reads no
 * further while a request is in flight, so a response already under way is finished first.
 */
function codecErrorReply(err: NodeJS.ErrnoException, socket: Duplex, serverName: string): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, body] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', 'Request Header Fields Too Large']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', 'request timeout']
    : [400, 'Bad Request', 'Bad Request'];
  const write = (): void => {
    if (!socket.writable) return void socket.destroy();
    socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-length: ${body.length}\r\ncontent-type: text/plain\r\ndate: ${new Date().toUTCString()}\r\nserver: ${serverName}\r\nconnection: close\r\n\r\n${body}`);
  };
  // Node keeps the response being written on this connection in socket._httpMessage. When its request was
  // read completely, the error belongs to a pipelined next request: answer that after this response.
  // Otherwise (e.g. a broken chunked body) the request in flight is the bad one: reply now.
  const inFlight = (socket as Duplex & { _httpMessage?: http.ServerResponse | null })._httpMessage;
  if (inFlight && !inFlight.writableFinished && inFlight.req.complete) {
    inFlight.once('finish', write);
    inFlight.once('close', () => setImmediate(() => socket.destroyed || write()));
  } else {
    write();
  }
}
