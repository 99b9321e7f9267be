/** Starts the admin listener (loopback by default, as Envoy's docs advise) with the admin plugin. */
import Fastify, { FastifyBaseLogger, LogController } from 'fastify';
import { Gateway } from '../gateway/gateway';
import { ShadowgateError } from '../errors';
import adminPlugin from '../../plugins/admin';

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

export async function startAdminServer(gateway: Gateway, address: { host: string; port: number }, logger: FastifyBaseLogger, commandLine: Record<string, unknown>, onQuit?: () => void): Promise<AdminServer> {
  const app = Fastify({ loggerInstance: logger.child({ component: 'admin' }), logController: new LogController({ disableRequestLogging: true }) });
  await app.register(adminPlugin, { gateway, commandLine, ...(onQuit ? { onQuit } : {}) });
  try {
    await app.listen({ host: address.host, port: address.port });
  } catch (err) {
    await app.close().catch(() => undefined);
    throw new ShadowgateError('SG_ERR_LISTENER_BIND', `admin: cannot bind ${address.host}:${address.port}: ${(err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? 'address already in use' : (err as Error).message}`, { cause: err });
  }
  const a = app.server.address();
  return { port: typeof a === 'object' && a ? a.port : address.port, close: () => app.close() };
}
