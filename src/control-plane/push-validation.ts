/**
 * What the control plane accepts, in two levels:
 *
 * 1. Is it valid Envoy? Every resource must encode into its Envoy v3 proto (src/xds/any-codec): an
 *    unknown field, a wrong type or a bad duration is refused here.
 * 2. Is it valid for the gateway? The same src/config validation the gateway runs on every update
 *    (dangling cluster references, bad regexes, weights that sum to 0, duplicate domains …).
 *
 * src/config also refuses Envoy features shadowgate does not implement ("field is not supported by
 * shadowgate yet", "only TCP is supported" …). Those resources are still valid Envoy, and other xDS
 * clients (Envoy itself, gRPC proxyless clients) may be the ones consuming them. So the verdict is per
 * resource: a resource with at least one "not implemented" problem is one our validator cannot judge
 * (a gRPC api_listener has no address, which src/config then also reports), and all its problems
 * become warnings; every other resource must be fully valid. A shadowgate gateway receiving such a
 * resource NACKs it and keeps its last good configuration.
 */
import { Problem } from '../config/problems';
import { validateResources } from '../config/snapshot';
import { EncodedConfig, encodeLists } from './encoded-config';
import { ResourceLists } from './resource-kinds';
import { danglingClusterWarnings } from './dangling-clusters';

export interface PushValidation {
  /** Present when the configuration is accepted. */
  encoded?: EncodedConfig;
  problems: Problem[];
  warnings: Problem[];
}

/**
 * Messages src/config uses for "valid Envoy, not implemented here". Matched on the text because
 * src/config reports problems as plain `path: message` values; the list is pinned by a test.
 */
const UNSUPPORTED_MESSAGE = /not supported by shadowgate|\b(is|are) supported\b|^unknown field$|Didn't find a registered implementation/;

export function isUnsupportedProblem(p: Problem): boolean {
  return UNSUPPORTED_MESSAGE.test(p.message);
}

export function validatePush(lists: ResourceLists): PushValidation {
  const level1 = encodeLists(lists);
  if (!level1.encoded) return { problems: level1.problems.map((p) => ({ ...p, message: `not a valid Envoy v3 resource: ${p.message}` })), warnings: [] };
  const level2 = validateResources(lists, { requireRouteConfigs: true });
  const unjudged = new Set(level2.problems.filter(isUnsupportedProblem).map((p) => resourceOf(p.path) ?? p.path));
  const isUnjudged = (p: Problem): boolean => unjudged.has(resourceOf(p.path) ?? p.path);
  const invalid = level2.problems.filter((p) => !isUnjudged(p));
  const unsupported = level2.problems.filter(isUnjudged).map((p) => ({ ...p, message: `${p.message} (valid Envoy; shadowgate gateways will NACK this resource)` }));
  if (invalid.length > 0) return { problems: invalid, warnings: [...level2.warnings, ...unsupported] };
  const dangling = level2.snapshot ? danglingClusterWarnings(level2.snapshot) : [];
  return { encoded: level1.encoded, problems: [], warnings: [...level2.warnings, ...unsupported, ...dangling] };
}

/** "listeners[2]" from "listeners[2].filter_chains[0]…": the resource a problem belongs to. */
function resourceOf(path: string): string | undefined {
  return /^(listeners|routes|clusters|endpoints)\[\d+\]/.exec(path)?.[0];
}
