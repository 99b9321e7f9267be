/**
 * The push API (shadowgate.control.v1.ControlPlane) handlers. Every method first checks the bearer
 * token: a call without it, or with a wrong one, gets UNAUTHENTICATED and has no effect.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { formatProblem } from '../config/problems';
import { BearerAuth } from './auth';
import { GatewayEventKind, GatewayRegistry, GatewayStatusView } from './gateway-registry';
import { PushRejected, PushOutcome, SnapshotStore } from './snapshot-store';
import { parsePushDocument, countLists } from './push-document';
import { validatePush } from './push-validation';
import { DeleteNames } from './config-change';
import { RESOURCE_KINDS, ResourceKind, emptyLists } from './resource-kinds';
import { VersionMeta } from './version-files';
import { gatewayStatus, groupStatus, problemMessages, pushResponse, versionRecord } from './control-messages';
import { PROBLEMS_METADATA_KEY, toTimestamp } from './control-proto';


interface ConfigDocumentMsg {
  text?: string;
  source?: string;
}

interface PushRequestMsg {
  config?: 'full' | 'change';
  full?: ConfigDocumentMsg;
  change?: { upsert?: ConfigDocumentMsg; delete?: Partial<Record<ResourceKind, string[]>> };
  group?: string;
  dry_run?: boolean;
  expected_version?: string;
  description?: string;
}

type Unary<Req> = grpc.ServerUnaryCall<Req, unknown>;

export interface ControlServiceDeps {
  store: SnapshotStore;
  registry: GatewayRegistry;
  auth: BearerAuth;
  logger: Logger;
}

export interface ControlHandlers {
  handlers: grpc.UntypedServiceImplementation;
  /** Ends every Watch stream (shutdown), so the server need not wait for callers to cancel. */
  endWatches(): void;
}

export function controlHandlers(deps: ControlServiceDeps): ControlHandlers {
  const { store, registry, logger } = deps;
  const watches = new Set<grpc.ServerWritableStream<unknown, unknown>>();
  const unary = <Req>(name: string, fn: (req: Req) => Promise<object> | object) => (call: Unary<Req>, callback: grpc.sendUnaryData<unknown>): void => {
    if (!deps.auth.check(call.metadata)) {
      logger.warn({ method: name, peer: call.getPeer() }, 'push API call rejected: missing or wrong bearer token');
      callback(unauthenticated());
      return;
    }
    Promise.resolve()
      .then(() => fn(call.request))
      .then((res) => callback(null, res), (err) => callback(toServiceError(err, logger, name)));
  };

  const handlers: grpc.UntypedServiceImplementation = {
    Push: unary<PushRequestMsg>('Push', async (req) => {
      const input = readPushRequest(req);
      const outcome = await store.push(input);
      logOutcome(logger, 'push', input.group, outcome);
      return pushResponse(outcome);
    }),
    Validate: unary<{ config?: ConfigDocumentMsg }>('Validate', (req) => {
      const doc = parsePushDocument(req.config?.text ?? '', req.config?.source ?? '');
      if (!doc.lists) return { valid: false, problems: problemMessages(doc.problems), warnings: [] };
      const v = validatePush(doc.lists);
      return { valid: !!v.encoded, problems: problemMessages(v.problems), warnings: problemMessages(v.warnings), counts: countLists(doc.lists) };
    }),
    Status: unary<{ group?: string }>('Status', (req) => statusMessage(store, registry, req.group ?? '')),
    History: unary<{ limit?: number }>('History', (req) => ({ versions: store.history(req.limit ?? 0).map(versionRecord) })),
    Rollback: unary<{ to_version?: string; dry_run?: boolean; expected_version?: string; description?: string }>('Rollback', async (req) => {
      const to = Number(req.to_version);
      if (!/^\d+$/.test(req.to_version ?? '') || !Number.isSafeInteger(to)) throw new PushRejected('invalid', `to_version must be a version number, got "${req.to_version ?? ''}"`, [{ path: 'to_version', message: 'must be a version number' }]);
      const outcome = await store.rollback(to, { dryRun: req.dry_run ?? false, ...(req.expected_version ? { expectedVersion: req.expected_version } : {}), ...(req.description ? { description: req.description } : {}) });
      logOutcome(logger, `rollback to ${to}`, '', outcome);
      return pushResponse(outcome);
    }),
    Watch: (call: grpc.ServerWritableStream<{ group?: string }, unknown>) => {
      if (!deps.auth.check(call.metadata)) {
        call.emit('error', unauthenticated());
        return;
      }
      const group = call.request.group ?? '';
      call.write({ kind: 'SNAPSHOT', at: toTimestamp(new Date()), status: statusMessage(store, registry, group) });
      const onGateway = (kind: GatewayEventKind, view: GatewayStatusView): void => {
        if (group && view.group !== group) return;
        const eventKind = kind === 'connected' ? 'GATEWAY_CONNECTED' : kind === 'disconnected' ? 'GATEWAY_DISCONNECTED' : 'GATEWAY_UPDATED';
        call.write({ kind: eventKind, at: toTimestamp(new Date()), gateway: gatewayStatus(view) });
      };
      const onVersion = (meta: VersionMeta): void => {
        call.write({ kind: 'VERSION_CHANGED', at: toTimestamp(new Date()), version: versionRecord(meta) });
      };
      registry.on('gateway', onGateway);
      store.on('version', onVersion);
      watches.add(call as grpc.ServerWritableStream<unknown, unknown>);
      const stop = (): void => {
        watches.delete(call as grpc.ServerWritableStream<unknown, unknown>);
        registry.off('gateway', onGateway);
        store.off('version', onVersion);
      };
      call.on('cancelled', stop);
      call.on('close', stop);
      call.on('error', stop);
    },
  };
  return {
    handlers,
    endWatches: () => {
      for (const w of watches) w.end();
      watches.clear();
    },
  };
}

function statusMessage(store: SnapshotStore, registry: GatewayRegistry, group: string): object {
  return {
    version: String(store.version),
    gateways: registry.list(group || undefined).map(gatewayStatus),
    groups: store.groups().filter((g) => !group || g.group === group || g.group === '').map(groupStatus),
  };
}

function readPushRequest(req: PushRequestMsg): Parameters<SnapshotStore['push']>[0] {
  const common = {
    group: req.group ?? '',
    dryRun: req.dry_run ?? false,
    ...(req.expected_version ? { expectedVersion: req.expected_version } : {}),
    description: req.description ?? '',
  };
  if (req.config === 'full' || (req.full && !req.change)) {
    const doc = parsePushDocument(req.full?.text ?? '', req.full?.source ?? '');
    if (!doc.lists) throw new PushRejected('invalid', 'configuration rejected', doc.problems);
    return { ...common, full: doc.lists };
  }
  if (req.config === 'change' || req.change) {
    let upsert = emptyLists();
    if (req.change?.upsert?.text) {
      const doc = parsePushDocument(req.change.upsert.text, req.change.upsert.source ?? '');
      if (!doc.lists) throw new PushRejected('invalid', 'configuration rejected', doc.problems.map((p) => ({ ...p, path: p.path ? `upsert.${p.path}` : 'upsert' })));
      upsert = doc.lists;
    }
    const deletes: DeleteNames = {};
    for (const kind of RESOURCE_KINDS) {
      const names = req.change?.delete?.[kind];
      if (names && names.length > 0) deletes[kind] = names;
    }
    return { ...common, change: { upsert, deletes } };
  }
  throw new PushRejected('invalid', 'a push needs `full` or `change`', [{ path: 'config', message: 'a push needs `full` or `change`' }]);
}

function logOutcome(logger: Logger, what: string, group: string, o: PushOutcome): void {
  if (o.dryRun) logger.info({ version: o.version, group, changed: o.changed }, `${what}: dry run`);
  else if (!o.changed) logger.info({ version: o.version, group }, `${what}: no change`);
  else logger.info({ version: o.version, group, groups: o.groups, warnings: o.warnings.length }, `${what}: accepted version ${o.version}`);
}

function unauthenticated(): grpc.ServiceError {
  return Object.assign(new Error('missing or invalid bearer token'), { code: grpc.status.UNAUTHENTICATED, details: 'missing or invalid bearer token (metadata "authorization: Bearer <token>")', metadata: new grpc.Metadata() });
}

function toServiceError(err: unknown, logger: Logger, method: string): grpc.ServiceError {
  if (err instanceof PushRejected) {
    const code = err.kind === 'precondition' ? grpc.status.FAILED_PRECONDITION : err.kind === 'not-found' ? grpc.status.NOT_FOUND : grpc.status.INVALID_ARGUMENT;
    const metadata = new grpc.Metadata();
    if (err.problems.length > 0 || err.warnings.length > 0) metadata.set(PROBLEMS_METADATA_KEY, Buffer.from(JSON.stringify({ problems: err.problems, warnings: err.warnings })));
    const details = err.problems.length > 0 ? `${err.message}:\n${err.problems.map(formatProblem).join('\n')}` : err.message;
    logger.info({ method, problems: err.problems.length }, `${method} refused: ${err.message}`);
    return Object.assign(new Error(details), { code, details, metadata });
  }
  logger.error({ err, method }, `${method} failed`);
  return Object.assign(new Error((err as Error).message), { code: grpc.status.INTERNAL, details: `internal error: ${(err as Error).message}`, metadata: new grpc.Metadata() });
}

