/**
 * The `node` of every DiscoveryRequest (envoy.config.core.v3.Node), built from the bootstrap's node the
 * way Envoy fills it: id, cluster, metadata, and the user agent naming the client and its version.
 */
import { NodeInfo } from '../config/bootstrap';
import { VERSION } from '../version';
import { encodeMessage } from './any-codec';
import { lookupType } from './protos';

const NODE_TYPE = 'envoy.config.core.v3.Node';

/** Envoy sends "envoy"; control planes key behaviour on this name, so we say who we are. */
export const USER_AGENT_NAME = 'shadowgate';

/**
 * The node in the object form @grpc/proto-loader serializes (snake_case, Struct as {fields}), obtained
 * by a proto3-JSON round trip so bootstrap metadata of any shape is encoded exactly.
 */
export function buildNodeMessage(node: NodeInfo): Record<string, unknown> {
  const json = {
    id: node.id,
    cluster: node.cluster,
    ...(Object.keys(node.metadata).length > 0 ? { metadata: node.metadata } : {}),
    user_agent_name: USER_AGENT_NAME,
    user_agent_version: VERSION,
  };
  const type = lookupType(NODE_TYPE);
  return type.toObject(type.decode(encodeMessage(NODE_TYPE, json)), { longs: String, enums: String, oneofs: true }) as Record<string, unknown>;
}
