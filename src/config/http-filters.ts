/** HCM http_filters: the router (required, last) and the fault filter; anything else is rejected unless optional. */
import { FaultModel, HttpFilterModel } from './model';
import { Problems, joinPath } from './problems';
import { isObject, readBool, readDurationMs, readList, readMessage, readString, readUint } from './proto-json';
import { readFractionalPercent } from './matchers';
import { FAULT_TYPE, ROUTER_TYPE } from './type-urls';

export interface RouterSettings {
  suppressEnvoyHeaders: boolean;
}

export function readHttpFilters(v: unknown, path: string, p: Problems): { filters: HttpFilterModel[]; router: RouterSettings } {
  const filters: HttpFilterModel[] = [];
  let router: RouterSettings = { suppressEnvoyHeaders: false };
  const list = readList(v, path, p);
  list.forEach((item, i) => {
    const fp = joinPath(path, i);
    const m = readMessage(item, fp, p, { supported: ['name', 'typed_config', 'is_optional', 'disabled'], unsupported: ['config_discovery'] });
    if (!m) return;
    const name = readString(m.name, joinPath(fp, 'name'), p) ?? '';
    const optional = readBool(m.is_optional, joinPath(fp, 'is_optional'), p) ?? false;
    if (readBool(m.disabled, joinPath(fp, 'disabled'), p)) return;
    const type = isObject(m.typed_config) ? m.typed_config['@type'] : undefined;
    const kind = type === ROUTER_TYPE || (type === undefined && name === 'envoy.filters.http.router') ? 'router'
      : type === FAULT_TYPE ? 'fault' : undefined;
    if (kind === 'router') {
      router = readRouter(m.typed_config, joinPath(fp, 'typed_config'), p);
      if (i !== list.length - 1) p.add(fp, 'the router filter must be the last filter in http_filters');
      filters.push({ name, kind });
    } else if (kind === 'fault') {
      const fault = readFault(m.typed_config, joinPath(fp, 'typed_config'), p);
      if (fault) filters.push({ name, kind, fault });
    } else if (optional) {
      p.warn(fp, `optional filter ${name} (${String(type)}) is not supported by shadowgate and is skipped`);
    } else {
      // Envoy NACKs an unknown non-optional filter; so do we.
      p.add(joinPath(fp, 'typed_config'), `Didn't find a registered implementation for '${name}' with type URL: '${String(type ?? '')}'`);
    }
  });
  if (list.length > 0 && !filters.some((f) => f.kind === 'router')) p.add(path, 'the last filter must be envoy.filters.http.router');
  if (list.length === 0) filters.push({ name: 'envoy.filters.http.router', kind: 'router' });
  return { filters, router };
}

function readRouter(v: unknown, path: string, p: Problems): RouterSettings {
  if (v === undefined) return { suppressEnvoyHeaders: false };
  const m = readMessage(v, path, p, {
    supported: ['@type', 'suppress_envoy_headers', 'start_child_span', 'dynamic_stats'],
    unsupported: ['upstream_log', 'strict_check_headers', 'respect_expected_rq_timeout', 'upstream_http_filters'],
  });
  return { suppressEnvoyHeaders: readBool(m?.suppress_envoy_headers, joinPath(path, 'suppress_envoy_headers'), p) ?? false };
}

function readFault(v: unknown, path: string, p: Problems): FaultModel | undefined {
  const m = readMessage(v, path, p, {
    supported: ['@type', 'delay', 'abort'],
    unsupported: ['upstream_cluster', 'headers', 'downstream_nodes', 'max_active_faults', 'response_rate_limit'],
  });
  if (!m) return undefined;
  const fault: FaultModel = {};
  if (m.delay !== undefined) {
    const dp = joinPath(path, 'delay');
    const d = readMessage(m.delay, dp, p, { supported: ['fixed_delay', 'percentage'], unsupported: ['header_delay'] });
    const fixedDelayMs = readDurationMs(d?.fixed_delay, joinPath(dp, 'fixed_delay'), p);
    const fraction = d?.percentage === undefined ? { numerator: 0, denominator: 100 } : readFractionalPercent(d.percentage, joinPath(dp, 'percentage'), p);
    if (d && fixedDelayMs === undefined && d.fixed_delay === undefined) p.add(joinPath(dp, 'fixed_delay'), 'is required');
    if (fixedDelayMs !== undefined && fraction) fault.delay = { fixedDelayMs, fraction };
  }
  if (m.abort !== undefined) {
    const ap = joinPath(path, 'abort');
    const a = readMessage(m.abort, ap, p, { supported: ['http_status', 'percentage'], unsupported: ['grpc_status', 'header_abort'] });
    const httpStatus = readUint(a?.http_status, joinPath(ap, 'http_status'), p);
    if (httpStatus === undefined || httpStatus < 200 || httpStatus >= 600) p.add(joinPath(ap, 'http_status'), 'must be between 200 and 599');
    const fraction = a?.percentage === undefined ? { numerator: 0, denominator: 100 } : readFractionalPercent(a.percentage, joinPath(ap, 'percentage'), p);
    if (httpStatus !== undefined && fraction) fault.abort = { httpStatus, fraction };
  }
  return fault;
}
