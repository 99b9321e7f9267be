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
 * clients (Envoy itself, gRPC proxyless clients) may be the ones consuming them, so a push whose only
 * level-2 problems are of that kind is accepted, and those problems come back as warnings: a
 * shadowgate gateway receiving them will NACK and keep its last good configuration.
 */
import { Problem, formatProblem } from '../config/problems';
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
  const invalid = level2.problems.filter((p) => !isUnsupportedProblem(p));
  const unsupported = level2.problems.filter(isUnsupportedProblem).map((p) => ({ ...p, message: `${p.message} (valid Envoy; shadowgate gateways will NACK this resource)` }));
  if (invalid.length > 0) return { problems: invalid, warnings: [...level2.warnings, ...unsupported] };
  const dangling = level2.snapshot ? danglingClusterWarnings(level2.snapshot) : [];
  return { encoded: level1.encoded, problems: [], warnings: [...level2.warnings, ...unsupported, ...dangling] };
}

export function problemLines(problems: Problem[]): string {
  return problems.map(formatProblem).join('\n');
}
