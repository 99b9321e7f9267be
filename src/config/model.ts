/**
 * The validated configuration model. Plain, frozen data: the routing and upstream modules compile it
 * into their fast structures; /config_dump prints the original resources kept next to it.
 * Durations are milliseconds; a timeout of 0 means "none" as in Envoy.
 */

export type StringMatchKind = 'exact' | 'prefix' | 'suffix' | 'contains' | 'safe_regex';

export interface StringMatcherModel {
  kind: StringMatchKind;
  value: string;
  ignoreCase: boolean;
}

export type HeaderMatchSpec =
  | { kind: 'string'; matcher: StringMatcherModel }
  | { kind: 'present'; present: boolean }
  | { kind: 'range'; start: number; end: number };

export interface HeaderMatcherModel {
  name: string;
  spec: HeaderMatchSpec;
  invert: boolean;
  treatMissingAsEmpty: boolean;
}

export interface QueryParameterMatcherModel {
  name: string;
  spec: { kind: 'string'; matcher: StringMatcherModel } | { kind: 'present'; present: boolean };
}

/** FractionalPercent: sampled in when `random % denominator < numerator` (Envoy's code uses `<`). */
export interface FractionModel {
  numerator: number;
  denominator: number;
  runtimeKey?: string;
}

export type AppendAction = 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';

export interface HeaderValueOptionModel {
  key: string; // lower-cased
  value: string;
  appendAction: AppendAction;
  keepEmptyValue: boolean;
}

export interface HeaderMutationsModel {
  requestHeadersToAdd: HeaderValueOptionModel[];
  requestHeadersToRemove: string[];
  responseHeadersToAdd: HeaderValueOptionModel[];
  responseHeadersToRemove: string[];
}

/** One entry of `request_headers_mutations` on a mirror policy (HeaderMutation: remove | append). */
export type HeaderMutationModel = { kind: 'remove'; key: string } | { kind: 'append'; option: HeaderValueOptionModel };

export interface MirrorPolicyModel {
  cluster?: string;
  clusterHeader?: string;
  fraction: FractionModel;
  /** undefined: the shadow span inherits the parent's sampling decision (current Envoy). */
  traceSampled?: boolean;
  disableShadowHostSuffixAppend: boolean;
  hostRewriteLiteral?: string;
  requestHeadersMutations: HeaderMutationModel[];
}

export type PathMatchKind = 'prefix' | 'path' | 'safe_regex' | 'path_separated_prefix';

export interface RouteMatchModel {
  pathKind: PathMatchKind;
  pathValue: string;
  caseSensitive: boolean;
  headers: HeaderMatcherModel[];
  queryParameters: QueryParameterMatcherModel[];
  runtimeFraction?: FractionModel;
}

export interface WeightedClusterEntryModel extends HeaderMutationsModel {
  name: string;
  weight: number;
  hostRewriteLiteral?: string;
}

export type ClusterSpecifierModel =
  | { kind: 'cluster'; name: string }
  | { kind: 'cluster_header'; header: string }
  | { kind: 'weighted'; clusters: WeightedClusterEntryModel[]; totalWeight: number };

export interface RouteForwardModel {
  kind: 'route';
  cluster: ClusterSpecifierModel;
  clusterNotFoundStatus: number;
  prefixRewrite?: string;
  regexRewrite?: { pattern: string; substitution: string };
  hostRewriteLiteral?: string;
  autoHostRewrite: boolean;
  timeoutMs: number;
  /** The route's own list; empty means "inherit from the virtual host / route configuration". */
  requestMirrorPolicies: MirrorPolicyModel[];
}

export interface RedirectModel {
  kind: 'redirect';
  scheme?: string;
  hostRedirect?: string;
  portRedirect?: number;
  pathRedirect?: string;
  prefixRewrite?: string;
  regexRewrite?: { pattern: string; substitution: string };
  responseCode: number;
  stripQuery: boolean;
}

export interface DirectResponseModel {
  kind: 'direct_response';
  status: number;
  body?: string;
}

export type RouteActionModel = RouteForwardModel | RedirectModel | DirectResponseModel;

export interface RouteModel extends HeaderMutationsModel {
  name: string;
  match: RouteMatchModel;
  action: RouteActionModel;
  decoratorOperation?: string;
}

export interface VirtualHostModel extends HeaderMutationsModel {
  name: string;
  domains: string[];
  routes: RouteModel[];
  requestMirrorPolicies: MirrorPolicyModel[];
}

export interface RouteConfigModel extends HeaderMutationsModel {
  name: string;
  virtualHosts: VirtualHostModel[];
  /** undefined: Envoy's default (true for inline route configs, false for RDS). */
  validateClusters?: boolean;
  mostSpecificHeaderMutationsWins: boolean;
  ignorePortInHostMatching: boolean;
  requestMirrorPolicies: MirrorPolicyModel[];
  internalOnlyHeaders: string[];
}

export interface HttpFilterModel {
  name: string;
  kind: 'router' | 'fault';
  /** For the fault filter: the parsed HTTPFault. */
  fault?: FaultModel;
}

export interface FaultModel {
  delay?: { fixedDelayMs: number; fraction: FractionModel };
  abort?: { httpStatus: number; fraction: FractionModel };
}

export interface TracingModel {
  randomSamplingPercent?: number;
  clientSamplingPercent?: number;
  overallSamplingPercent?: number;
  customTags: { tag: string; literal?: string; requestHeader?: string; environment?: string; defaultValue?: string }[];
  spawnUpstreamSpan: boolean;
  /** The block as written (proto3 JSON), handed to the telemetry module unchanged. */
  raw: Record<string, unknown>;
}

export type StripPortMode = 'none' | 'any' | 'matching';

export interface HttpConnectionManagerModel {
  statPrefix: string;
  serverName: string;
  useRemoteAddress: boolean;
  xffNumTrustedHops: number;
  skipXffAppend: boolean;
  generateRequestId: boolean;
  preserveExternalRequestId: boolean;
  alwaysSetRequestIdInResponse: boolean;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  maxRequestHeadersKb: number;
  /** http_protocol_options.accept_http_10: without it Envoy answers HTTP/1.0 requests with 426. */
  acceptHttp10: boolean;
  /** http_protocol_options.default_host_for_http_10: the Host of HTTP/1.0 requests that send none. */
  defaultHostForHttp10?: string;
  stripPortMode: StripPortMode;
  routeSource: { kind: 'inline'; config: RouteConfigModel } | { kind: 'rds'; name: string; initialFetchTimeoutMs: number };
  httpFilters: HttpFilterModel[];
  suppressEnvoyHeaders: boolean;
  tracing?: TracingModel;
}

export interface ListenerModel {
  name: string;
  host: string;
  port: number;
  perConnectionBufferLimitBytes: number;
  hcm: HttpConnectionManagerModel;
}

export type HealthStatus = 'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

export interface EndpointModel {
  host: string;
  /** The DNS name a STRICT_DNS/LOGICAL_DNS address was resolved from (auto_host_rewrite uses it). */
  hostname?: string;
  port: number;
  weight: number;
  healthStatus: HealthStatus;
}

export interface CircuitBreakerModel {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
}

export type ClusterType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS';
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM';

export interface ClusterModel {
  name: string;
  type: ClusterType;
  lbPolicy: LbPolicy;
  connectTimeoutMs: number;
  perConnectionBufferLimitBytes: number;
  circuitBreakers: CircuitBreakerModel;
  /** HIGH-priority thresholds: accepted and shown by /clusters; requests are all DEFAULT priority. */
  highPriorityCircuitBreakers: CircuitBreakerModel;
  /** For STATIC / STRICT_DNS / LOGICAL_DNS: from load_assignment. For EDS: filled when the CLA arrives. */
  endpoints: EndpointModel[];
  edsServiceName?: string;
  dnsRefreshRateMs: number;
  /** Which addresses of a STRICT_DNS/LOGICAL_DNS name are used (cluster.proto DnsLookupFamily). */
  dnsLookupFamily: DnsLookupFamily;
  /** Declared HTTP/2 (gRPC clusters such as the xDS server); routes cannot forward to these yet. */
  http2: boolean;
}

export type DnsLookupFamily = 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';

export interface ClusterLoadAssignmentModel {
  clusterName: string;
  endpoints: EndpointModel[];
}
