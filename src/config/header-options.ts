/** HeaderValueOption lists and header-removal lists, at every level they appear. */
import { AppendAction, HeaderMutationModel, HeaderMutationsModel, HeaderValueOptionModel } from './model';
import { Problems, joinPath } from './problems';
import { JsonObject, readBool, readEnum, readList, readMessage, readString, readStringList } from './proto-json';

const APPEND_ACTIONS = ['APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS'] as const;
const VALID_HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

export function readHeaderValueOption(v: unknown, path: string, p: Problems): HeaderValueOptionModel | undefined {
  const m = readMessage(v, path, p, { supported: ['header', 'append', 'append_action', 'keep_empty_value'] });
  if (!m) return undefined;
  const h = readMessage(m.header, joinPath(path, 'header'), p, { supported: ['key', 'value'], unsupported: ['raw_value'] });
  if (!h) return undefined;
  const key = readString(h.key, joinPath(path, 'header.key'), p)?.toLowerCase();
  const value = readString(h.value ?? '', joinPath(path, 'header.value'), p);
  if (key === undefined || value === undefined) return undefined;
  if (!VALID_HEADER_NAME.test(key)) {
    p.add(joinPath(path, 'header.key'), key.startsWith(':') || key === 'host' ? `"${key}" cannot be modified this way` : `invalid header name "${key}"`);
    return undefined;
  }
  if (/[\r\n\0]/.test(value)) p.add(joinPath(path, 'header.value'), 'must not contain CR, LF or NUL');
  if (value.includes('%') && !/^([^%]|%%)*$/.test(value)) {
    // Envoy substitution formatters (%DOWNSTREAM_REMOTE_ADDRESS% …) are not implemented: say so.
    p.add(joinPath(path, 'header.value'), 'substitution formatters (%…%) are not supported by shadowgate yet; write %% for a literal %');
  }
  const append = readBool(m.append, joinPath(path, 'append'), p);
  let appendAction: AppendAction = readEnum(m.append_action, joinPath(path, 'append_action'), p, APPEND_ACTIONS, 'APPEND_IF_EXISTS_OR_ADD');
  if (append !== undefined) {
    if (m.append_action !== undefined) p.add(path, 'append and append_action cannot both be set');
    appendAction = append ? 'APPEND_IF_EXISTS_OR_ADD' : 'OVERWRITE_IF_EXISTS_OR_ADD';
  }
  const keepEmptyValue = readBool(m.keep_empty_value, joinPath(path, 'keep_empty_value'), p) ?? false;
  return { key, value: value.replace(/%%/g, '%'), appendAction, keepEmptyValue };
}

export function readHeaderValueOptions(v: unknown, path: string, p: Problems): HeaderValueOptionModel[] {
  const out: HeaderValueOptionModel[] = [];
  readList(v, path, p).forEach((item, i) => {
    const o = readHeaderValueOption(item, joinPath(path, i), p);
    if (o) out.push(o);
  });
  return out;
}

export function readHeadersToRemove(v: unknown, path: string, p: Problems): string[] {
  return readStringList(v, path, p).map((name, i) => {
    const key = name.toLowerCase();
    if (key.startsWith(':') || key === 'host') p.add(joinPath(path, i), `"${name}" cannot be removed`);
    else if (!VALID_HEADER_NAME.test(key)) p.add(joinPath(path, i), `invalid header name "${name}"`);
    return key;
  });
}

export const HEADER_MUTATION_FIELDS = ['request_headers_to_add', 'request_headers_to_remove', 'response_headers_to_add', 'response_headers_to_remove'] as const;

/** The four header-mutation fields shared by RouteConfiguration, VirtualHost, Route and ClusterWeight. */
export function readHeaderMutations(m: JsonObject, path: string, p: Problems): HeaderMutationsModel {
  return {
    requestHeadersToAdd: readHeaderValueOptions(m.request_headers_to_add, joinPath(path, 'request_headers_to_add'), p),
    requestHeadersToRemove: readHeadersToRemove(m.request_headers_to_remove, joinPath(path, 'request_headers_to_remove'), p),
    responseHeadersToAdd: readHeaderValueOptions(m.response_headers_to_add, joinPath(path, 'response_headers_to_add'), p),
    responseHeadersToRemove: readHeadersToRemove(m.response_headers_to_remove, joinPath(path, 'response_headers_to_remove'), p),
  };
}

/** envoy.config.common.mutation_rules.v3.HeaderMutation: exactly one of remove / append. */
export function readHeaderMutationList(v: unknown, path: string, p: Problems): HeaderMutationModel[] {
  const out: HeaderMutationModel[] = [];
  readList(v, path, p).forEach((item, i) => {
    const ip = joinPath(path, i);
    const m = readMessage(item, ip, p, { supported: ['remove', 'append'] });
    if (!m) return;
    if ((m.remove === undefined) === (m.append === undefined)) {
      p.add(ip, 'exactly one of remove or append is required');
      return;
    }
    if (m.remove !== undefined) {
      const [key] = readHeadersToRemove([m.remove], joinPath(ip, 'remove'), p);
      if (key !== undefined) out.push({ kind: 'remove', key });
    } else {
      const option = readHeaderValueOption(m.append, joinPath(ip, 'append'), p);
      if (option) out.push({ kind: 'append', option });
    }
  });
  return out;
}
