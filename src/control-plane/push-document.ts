/**
 * A push document: YAML or JSON text with the keys listeners, routes, clusters, endpoints (each a
 * list of Envoy v3 resources in proto3 JSON). This module only checks the outer shape and the
 * names every resource must have, since xDS identifies resources by name (a nameless or duplicate
 * resource cannot be served, whatever the gateway thinks of it).
 */
import { parseConfigText } from '../config/bootstrap';
import { ConfigError, Problem } from '../config/problems';
import { DuplicateKeyError, parseJsonFast } from './json-fast-path';
import { RESOURCE_KINDS, ResourceKind, ResourceLists, emptyLists, resourceName } from './resource-kinds';

export interface ParsedDocument {
  lists?: ResourceLists;
  problems: Problem[];
}

/** Parses text; YAML syntax errors come back as problems with line numbers. */
export function parsePushDocument(text: string, source: string): ParsedDocument {
  let doc: unknown;
  try {
    const fast = parseJsonFast(text);
    doc = fast ? fast.value : parseConfigText(text, source || 'config');
  } catch (err) {
    if (err instanceof ConfigError) return { problems: err.problems };
    if (err instanceof DuplicateKeyError) return { problems: [{ path: `${source || 'config'}:${err.line}`, message: `duplicate key "${err.key}"` }] };
    // The YAML library's own limits (e.g. "Excessive alias count …", its guard against alias bombs).
    return { problems: [{ path: source || 'config', message: `cannot read the document: ${(err as Error).message}` }] };
  }
  return readPushDocument(doc);
}

/** Checks an already parsed document. `null`/empty text is an empty configuration. */
export function readPushDocument(doc: unknown): ParsedDocument {
  const problems: Problem[] = [];
  const lists = emptyLists();
  if (doc === null || doc === undefined) return { lists, problems };
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    return { problems: [{ path: '', message: 'expected a mapping with keys listeners, routes, clusters, endpoints' }] };
  }
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if (!(RESOURCE_KINDS as readonly string[]).includes(key)) {
      problems.push({ path: key, message: 'unknown key (a push document has listeners, routes, clusters, endpoints)' });
      continue;
    }
    const kind = key as ResourceKind;
    if (value === null || value === undefined) continue;
    if (!Array.isArray(value)) {
      problems.push({ path: kind, message: 'expected a list' });
      continue;
    }
    value.forEach((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) problems.push({ path: `${kind}[${i}]`, message: 'expected an object' });
      else lists[kind].push(item as Record<string, unknown>);
    });
  }
  problems.push(...checkNames(lists));
  return problems.length > 0 ? { problems } : { lists, problems };
}

/** Every resource needs a non-empty name, unique within its kind. */
export function checkNames(lists: ResourceLists): Problem[] {
  const problems: Problem[] = [];
  for (const kind of RESOURCE_KINDS) {
    const seen = new Map<string, number>();
    lists[kind].forEach((r, i) => {
      const name = resourceName(kind, r);
      const field = kind === 'endpoints' ? 'cluster_name' : 'name';
      if (typeof name !== 'string' || name === '') {
        problems.push({ path: `${kind}[${i}].${field}`, message: 'is required: xDS identifies resources by name' });
        return;
      }
      const first = seen.get(name);
      if (first !== undefined) problems.push({ path: `${kind}[${i}].${field}`, message: `duplicate name "${name}" (also ${kind}[${first}])` });
      else seen.set(name, i);
    });
  }
  return problems;
}

export function countLists(lists: ResourceLists): Record<ResourceKind, number> {
  return { listeners: lists.listeners.length, routes: lists.routes.length, clusters: lists.clusters.length, endpoints: lists.endpoints.length };
}
