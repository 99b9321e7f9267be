/**
 * The Envoy v3 bootstrap (bootstrap.proto): node, admin, static_resources, dynamic_resources.
 * Parsed from YAML or JSON text; every problem is reported with its field path.
 */
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, Problem, Problems, joinPath } from './problems';
import { JsonObject, isObject, readBool, readEnum, readList, readMessage, readString } from './proto-json';
import { readSocketAddress } from './listener';
import { readConfigSource } from './config-source';
import { ConfigSnapshot, validateResources } from './snapshot';
import { deepFreeze } from './freeze';

export interface NodeInfo {
  id: string;
  cluster: string;
  metadata: JsonObject;
}

export interface AdsSettings {
  /** GRPC = state of the world, DELTA_GRPC = incremental. */
  apiType: 'GRPC' | 'DELTA_GRPC';
  clusterName: string;
  setNodeOnFirstMessageOnly: boolean;
}

export interface BootstrapModel {
  node: NodeInfo;
  admin?: { host: string; port: number };
  staticSnapshot: ConfigSnapshot;
  ads?: AdsSettings;
  /** Wildcard LDS / CDS over ADS. */
  ldsOverAds: boolean;
  cdsOverAds: boolean;
  /** The document as loaded, for /config_dump's BootstrapConfigDump. */
  raw: JsonObject;
  /** What was accepted but skipped (e.g. an is_optional http filter shadowgate does not implement). */
  warnings: Problem[];
}

export interface BootstrapOverrides {
  serviceNode?: string;
  serviceCluster?: string;
}

/** Parses YAML (a superset of JSON) and reports syntax errors with line numbers. */
export function parseConfigText(text: string, source: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      return { path: `${source}:${line}:${col}`, message: `invalid YAML: ${e.message.split('\n')[0]}` };
    }));
  }
  return doc.toJS({ maxAliasCount: 100 });
}

export function loadBootstrapText(text: string, source: string, overrides: BootstrapOverrides = {}): BootstrapModel {
  return readBootstrap(parseConfigText(text, source), overrides);
}

export function readBootstrap(doc: unknown, overrides: BootstrapOverrides = {}): BootstrapModel {
  const p = new Problems();
  const m = readMessage(doc ?? {}, '', p, {
    supported: ['node', 'admin', 'static_resources', 'dynamic_resources', 'layered_runtime', 'stats_config', 'tracing'],
    unsupported: ['cluster_manager', 'hds_config', 'flags_path', 'stats_sinks', 'stats_flush_interval', 'watchdog', 'watchdogs', 'overload_manager', 'enable_dispatcher_stats', 'header_prefix', 'stats_server_version_override', 'use_tcp_for_dns_lookups', 'bootstrap_extensions', 'fatal_actions', 'config_sources', 'default_config_source', 'default_socket_interface', 'certificate_provider_instances', 'inline_headers', 'perf_tracing_file_path', 'default_regex_engine', 'xds_delegate_extension', 'xds_config_tracker_extension', 'listener_manager', 'application_log_config', 'grpc_async_client_manager_config', 'memory_allocator_manager', 'dns_resolution_config', 'typed_dns_resolver_config', 'node_context_params'],
  });
  if (!m) throw new ConfigError(p.list);
  if (m.tracing !== undefined) p.add('tracing', 'bootstrap tracing providers are not supported; configure OpenTelemetry with OTEL_* environment variables and the HCM tracing section');
  const node = readNode(m.node, 'node', p, overrides);
  const admin = readAdmin(m.admin, 'admin', p);
  const s = m.static_resources === undefined ? {} : readMessage(m.static_resources, 'static_resources', p, { supported: ['listeners', 'clusters'], unsupported: ['secrets'] }) ?? {};
  const dynamic = readDynamicResources(m.dynamic_resources, 'dynamic_resources', p);
  const staticResult = validateResources(
    { listeners: readList(s.listeners, 'static_resources.listeners', p), clusters: readList(s.clusters, 'static_resources.clusters', p) },
    { pathPrefix: 'static_resources.' },
  );
  p.list.push(...staticResult.problems);
  p.warnings.push(...staticResult.warnings);
  if (dynamic.ads) {
    const cluster = staticResult.snapshot?.clusters.get(dynamic.ads.clusterName);
    if (staticResult.snapshot && !cluster) p.add('dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name', `unknown static cluster "${dynamic.ads.clusterName}"`);
  }
  if (!staticResult.snapshot || !p.ok) throw new ConfigError(p.list, p.warnings);
  return deepFreeze({ node, ...(admin ? { admin } : {}), staticSnapshot: staticResult.snapshot, ...dynamic, raw: m, warnings: p.warnings });
}

function readNode(v: unknown, path: string, p: Problems, overrides: BootstrapOverrides): NodeInfo {
  const m = v === undefined ? {} : readMessage(v, path, p, { supported: ['id', 'cluster', 'metadata', 'locality', 'user_agent_name'] }) ?? {};
  return {
    id: overrides.serviceNode ?? readString(m.id, joinPath(path, 'id'), p) ?? '',
    cluster: overrides.serviceCluster ?? readString(m.cluster, joinPath(path, 'cluster'), p) ?? '',
    metadata: isObject(m.metadata) ? m.metadata : {},
  };
}

function readAdmin(v: unknown, path: string, p: Problems): { host: string; port: number } | undefined {
  if (v === undefined) return undefined;
  const m = readMessage(v, path, p, { supported: ['address', 'access_log', 'access_log_path', 'profile_path'], unsupported: ['socket_options', 'ignore_global_conn_limit'] });
  if (!m || m.address === undefined) return undefined;
  return readSocketAddress(m.address, joinPath(path, 'address'), p);
}

const API_TYPES = ['DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE', 'REST', 'GRPC', 'DELTA_GRPC', '', 'AGGREGATED_GRPC', 'AGGREGATED_DELTA_GRPC'] as const;

function readDynamicResources(v: unknown, path: string, p: Problems): { ads?: AdsSettings; ldsOverAds: boolean; cdsOverAds: boolean } {
  if (v === undefined) return { ldsOverAds: false, cdsOverAds: false };
  const m = readMessage(v, path, p, { supported: ['lds_config', 'cds_config', 'ads_config'], unsupported: ['lds_resources_locator', 'cds_resources_locator'] });
  if (!m) return { ldsOverAds: false, cdsOverAds: false };
  const ldsOverAds = m.lds_config !== undefined && readConfigSource(m.lds_config, joinPath(path, 'lds_config'), p) !== undefined;
  const cdsOverAds = m.cds_config !== undefined && readConfigSource(m.cds_config, joinPath(path, 'cds_config'), p) !== undefined;
  if (m.ads_config === undefined) {
    if (ldsOverAds || cdsOverAds) p.add(joinPath(path, 'ads_config'), 'is required when lds_config or cds_config use ads');
    return { ldsOverAds, cdsOverAds };
  }
  const ap = joinPath(path, 'ads_config');
  const a = readMessage(m.ads_config, ap, p, {
    supported: ['api_type', 'transport_api_version', 'grpc_services', 'set_node_on_first_message_only'],
    unsupported: ['cluster_names', 'refresh_delay', 'request_timeout', 'rate_limit_settings', 'config_validators'],
  });
  if (!a) return { ldsOverAds, cdsOverAds };
  const apiType = readEnum(a.api_type, joinPath(ap, 'api_type'), p, API_TYPES, 'GRPC');
  const normalized = apiType === 'AGGREGATED_GRPC' ? 'GRPC' : apiType === 'AGGREGATED_DELTA_GRPC' ? 'DELTA_GRPC' : apiType;
  if (normalized !== 'GRPC' && normalized !== 'DELTA_GRPC') p.add(joinPath(ap, 'api_type'), 'only GRPC and DELTA_GRPC are supported for ads_config');
  if (a.transport_api_version !== undefined && a.transport_api_version !== 'V3' && a.transport_api_version !== 2) p.add(joinPath(ap, 'transport_api_version'), 'only V3 is supported');
  const services = readList(a.grpc_services, joinPath(ap, 'grpc_services'), p);
  let clusterName: string | undefined;
  if (services.length !== 1) p.add(joinPath(ap, 'grpc_services'), 'exactly one grpc service is required');
  else {
    const sp = joinPath(joinPath(ap, 'grpc_services'), 0);
    const s = readMessage(services[0], sp, p, { supported: ['envoy_grpc', 'timeout', 'initial_metadata'], unsupported: ['google_grpc', 'retry_policy'] });
    const e = s && readMessage(s.envoy_grpc, joinPath(sp, 'envoy_grpc'), p, { supported: ['cluster_name', 'authority'], unsupported: ['retry_policy', 'max_receive_message_length', 'skip_envoy_headers'] });
    clusterName = readString(e?.cluster_name, joinPath(sp, 'envoy_grpc.cluster_name'), p);
    if (e && !clusterName) p.add(joinPath(sp, 'envoy_grpc.cluster_name'), 'is required');
  }
  const setNodeOnFirstMessageOnly = readBool(a.set_node_on_first_message_only, joinPath(ap, 'set_node_on_first_message_only'), p) ?? false;
  if (!clusterName || (normalized !== 'GRPC' && normalized !== 'DELTA_GRPC')) return { ldsOverAds, cdsOverAds };
  return { ads: { apiType: normalized, clusterName, setNodeOnFirstMessageOnly }, ldsOverAds, cdsOverAds };
}

export type { Problem };
