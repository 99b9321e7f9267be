/**
 * What the operator commands (push, status, history, rollback) share: connecting to the control
 * plane's push API with the bearer token, promise-shaped calls, exit codes and output helpers.
 *
 * Exit codes: 0 ok · 1 rejected (invalid config, version conflict, NACKed, timed out) · 2 usage ·
 * 3 control plane unreachable or authentication failed.
 */
import * as fsp from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { PROBLEMS_METADATA_KEY, controlService, TimestampMessage, fromTimestamp } from '../control-plane/control-proto';
import { TOKEN_ENV, readTokenFile } from '../control-plane/auth';
import { ShadowgateError } from '../errors';

export const DEFAULT_SERVER = '127.0.0.1:15010';
export const EXIT_OK = 0;
export const EXIT_REJECTED = 1;
export const EXIT_USAGE = 2;
export const EXIT_UNREACHABLE = 3;
/** Per call; `push --wait` has its own --timeout. */
const CALL_DEADLINE_MS = 30_000;

/** Flags every operator command takes (node:util parseArgs shape). */
export const CLIENT_FLAGS = {
  server: { type: 'string', default: DEFAULT_SERVER },
  'token-file': { type: 'string' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  output: { type: 'string', short: 'o', default: 'table' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const CLIENT_HELP = `      --server HOST:PORT       control plane address (default ${DEFAULT_SERVER})
      --token-file FILE        push API token (default: $${TOKEN_ENV})
      --tls-ca FILE            use TLS, trusting this CA for the server certificate
      --tls-cert/--tls-key F   client certificate and key, when the control plane requires mutual TLS
  -o, --output table|json      output format (default table)

exit codes: 0 ok, 1 rejected (invalid, conflict, NACKed, timed out), 2 usage, 3 unreachable or unauthenticated
`;

export interface ClientFlags {
  server?: string;
  'token-file'?: string;
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  output?: string;
}

export type Output = 'table' | 'json';

export function outputFormat(flags: ClientFlags, command: string): Output {
  const o = flags.output ?? 'table';
  if (o !== 'table' && o !== 'json') throw new ShadowgateError('SG_ERR_CLI_USAGE', `${command}: --output must be table or json, got "${o}"`);
  return o;
}

type Callback<T> = (err: grpc.ServiceError | null, res: T) => void;
type RawClient = grpc.Client & Record<string, (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb?: Callback<unknown>) => unknown>;

export class ControlClient {
  private constructor(private readonly raw: RawClient, private readonly token: string) {}

  static async connect(flags: ClientFlags): Promise<ControlClient> {
    const token = await clientToken(flags);
    const { Client } = controlService();
    const raw = new Client(flags.server ?? DEFAULT_SERVER, await channelCredentials(flags), { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 }) as unknown as RawClient;
    return new ControlClient(raw, token);
  }

  call<T>(method: string, request: object, deadlineMs = CALL_DEADLINE_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      this.raw[method](request, this.metadata(), { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res as T)));
    });
  }

  /** Server-streaming Watch; the caller cancels it. */
  watch(request: object): grpc.ClientReadableStream<WatchEventMsg> {
    return this.raw.Watch(request, this.metadata(), {}) as grpc.ClientReadableStream<WatchEventMsg>;
  }

  close(): void {
    this.raw.close();
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${this.token}`);
    return md;
  }
}

async function clientToken(flags: ClientFlags): Promise<string> {
  if (flags['token-file']) {
    try {
      return await readTokenFile(flags['token-file']);
    } catch (err) {
      throw new CliFailure(EXIT_UNREACHABLE, `cannot read token file ${flags['token-file']}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  const env = process.env[TOKEN_ENV]?.trim();
  if (env) return env;
  throw new CliFailure(EXIT_UNREACHABLE, `no push API token: pass --token-file FILE or set ${TOKEN_ENV} (the control plane logs where its token is)`);
}

async function channelCredentials(flags: ClientFlags): Promise<grpc.ChannelCredentials> {
  const wantsTls = flags['tls-ca'] || flags['tls-cert'] || flags['tls-key'];
  if (!wantsTls) return grpc.credentials.createInsecure();
  if (!!flags['tls-cert'] !== !!flags['tls-key']) throw new ShadowgateError('SG_ERR_CLI_USAGE', '--tls-cert and --tls-key go together');
  const read = async (f: string | undefined): Promise<Buffer | null> => (f ? fsp.readFile(f) : null);
  const [ca, cert, key] = await Promise.all([read(flags['tls-ca']), read(flags['tls-cert']), read(flags['tls-key'])]);
  return grpc.credentials.createSsl(ca, key, cert);
}

/** A command failure with its exit code and the message to print. */
export class CliFailure extends Error {
  constructor(readonly exitCode: number, message: string, readonly details: string[] = []) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** Maps a gRPC error to what the operator should read, and the exit code. */
export function describeRpcError(err: unknown, server: string): CliFailure {
  if (err instanceof CliFailure) return err;
  const e = err as grpc.ServiceError;
  if (typeof e?.code !== 'number') return new CliFailure(EXIT_REJECTED, (err as Error)?.message ?? String(err));
  switch (e.code) {
    case grpc.status.UNAVAILABLE:
    case grpc.status.DEADLINE_EXCEEDED:
      return new CliFailure(EXIT_UNREACHABLE, `control plane at ${server} is unreachable: ${e.details}`);
    case grpc.status.UNAUTHENTICATED:
    case grpc.status.PERMISSION_DENIED:
      return new CliFailure(EXIT_UNREACHABLE, `control plane at ${server} refused the token: ${e.details}`);
    case grpc.status.INVALID_ARGUMENT:
    case grpc.status.FAILED_PRECONDITION:
    case grpc.status.NOT_FOUND: {
      const [first, ...rest] = (e.details ?? '').split('\n');
      return new CliFailure(EXIT_REJECTED, first, rest);
    }
    default:
      return new CliFailure(EXIT_REJECTED, `${grpc.status[e.code] ?? e.code}: ${e.details}`);
  }
}

/** The structured problems the server attached to an INVALID_ARGUMENT, if any. */
export function errorProblems(err: unknown): { problems: ProblemMsg[]; warnings: ProblemMsg[] } | undefined {
  const value = (err as grpc.ServiceError)?.metadata?.get(PROBLEMS_METADATA_KEY)?.[0];
  if (!Buffer.isBuffer(value)) return undefined;
  try {
    return JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Runs a command body, turning failures into an exit code and messages on stderr (or a JSON error
 * object on stdout with --output json, so scripts always get JSON).
 */
export async function runClientCommand(flags: ClientFlags, output: Output, body: (client: ControlClient) => Promise<number>): Promise<number> {
  let client: ControlClient | undefined;
  try {
    client = await ControlClient.connect(flags);
    return await body(client);
  } catch (err) {
    if (err instanceof ShadowgateError) throw err;
    const failure = describeRpcError(err, flags.server ?? DEFAULT_SERVER);
    if (output === 'json') {
      const structured = errorProblems(err);
      writeJson({ error: failure.message, exit_code: failure.exitCode, ...(structured ?? (failure.details.length > 0 ? { details: failure.details } : {})) });
    } else {
      process.stderr.write(`error: ${failure.message}\n`);
      for (const line of failure.details) process.stderr.write(`  ${line}\n`);
    }
    return failure.exitCode;
  } finally {
    client?.close();
  }
}

// ---------------------------------------------------------------- messages as the client sees them

export interface ProblemMsg {
  path: string;
  message: string;
}

export interface ResourceCountsMsg {
  listeners?: number;
  routes?: number;
  clusters?: number;
  endpoints?: number;
}

export interface GroupChangeMsg {
  group?: string;
  changed_types?: string[];
  counts?: ResourceCountsMsg;
}

export interface PushResponseMsg {
  version?: string;
  changed?: boolean;
  warnings?: ProblemMsg[];
  groups?: GroupChangeMsg[];
  dry_run?: boolean;
}

export interface TypeStatusMsg {
  type?: string;
  acked_version?: string;
  served_version?: string;
  last_nack?: { version?: string; message?: string; at?: TimestampMessage };
  subscribed?: string[];
}

export interface GatewayStatusMsg {
  stream_id?: string;
  node_id?: string;
  group?: string;
  protocol?: string;
  connected_since?: TimestampMessage;
  peer?: string;
  state?: string;
  synced_version?: string;
  target_version?: string;
  types?: TypeStatusMsg[];
  user_agent?: string;
}

export interface StatusResponseMsg {
  version?: string;
  gateways?: GatewayStatusMsg[];
  groups?: { group?: string; config_version?: string; counts?: ResourceCountsMsg; type_versions?: Record<string, string> }[];
}

export interface VersionRecordMsg {
  version?: string;
  created_at?: TimestampMessage;
  action?: string;
  group?: string;
  description?: string;
  rolled_back_to?: string;
  groups?: GroupChangeMsg[];
}

export interface WatchEventMsg {
  kind?: string;
  status?: StatusResponseMsg;
  gateway?: GatewayStatusMsg;
  version?: VersionRecordMsg;
}

// ---------------------------------------------------------------- output

export function groupLabel(group: string | undefined): string {
  return group ? group : 'default';
}

export function countsText(c: ResourceCountsMsg | undefined): string {
  return `${c?.listeners ?? 0} listeners, ${c?.routes ?? 0} routes, ${c?.clusters ?? 0} clusters, ${c?.endpoints ?? 0} endpoints`;
}

/** Left-aligned columns, two spaces apart. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function timeText(t: TimestampMessage | undefined, now = Date.now()): string {
  const d = fromTimestamp(t);
  if (!d) return '-';
  return `${d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')} (${ago(now - d.getTime())})`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** JSON output: timestamps as ISO strings. */
export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (isTimestamp(v) ? fromTimestamp(v)?.toISOString() : v), 2)}\n`);
}

function isTimestamp(v: unknown): v is TimestampMessage {
  return typeof v === 'object' && v !== null && 'seconds' in v && Object.keys(v).every((k) => k === 'seconds' || k === 'nanos');
}

/** Go-style durations for --timeout: "30s", "1m", "500ms", "1m30s". */
export function parseDurationMs(text: string, flag: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    matched = re.lastIndex;
  }
  if (text === '' || matched !== text.length) throw new ShadowgateError('SG_ERR_CLI_USAGE', `${flag}: expected a duration like 30s, 2m or 500ms, got "${text}"`);
  return total;
}
