/**
 * In-process ADS clients for the control-plane benchmark: each one a grpc-js stream (its own
 * connection) that subscribes like Envoy (wildcard LDS/CDS, named RDS, EDS by "*" to avoid decoding
 * 1,000 clusters for their names) and ACKs every response at once, as a gateway does after applying.
 * They do not decode or validate: the figures are the control plane's cost plus the network.
 */
import * as grpc from '@grpc/grpc-js';
import { adsService } from '../src/xds/protos';
import { CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, CLUSTER_TYPE_URL, LISTENER_TYPE_URL, ROUTE_CONFIGURATION_TYPE_URL } from '../src/xds/type-urls';

export interface BenchClient {
  close(): void;
}

export function startSotwClient(address: string, id: string, group: string, routeNames: string[]): BenchClient {
  const { Client } = adsService();
  const client = new Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.use_local_subchannel_pool': 1 });
  const call = (client as unknown as { StreamAggregatedResources(): grpc.ClientDuplexStream<object, { type_url: string; version_info: string; nonce: string }> }).StreamAggregatedResources();
  const names: Record<string, string[]> = {
    [CLUSTER_TYPE_URL]: [],
    [CLUSTER_LOAD_ASSIGNMENT_TYPE_URL]: ['*'],
    [LISTENER_TYPE_URL]: [],
    [ROUTE_CONFIGURATION_TYPE_URL]: routeNames,
  };
  call.on('data', (r) => call.write({ type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce, resource_names: names[r.type_url] ?? [] }));
  call.on('error', () => undefined);
  let first = true;
  for (const typeUrl of [CLUSTER_TYPE_URL, CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, LISTENER_TYPE_URL, ROUTE_CONFIGURATION_TYPE_URL]) {
    call.write({ type_url: typeUrl, resource_names: names[typeUrl], ...(first ? { node: { id, cluster: group } } : {}) });
    first = false;
  }
  return {
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

export function startDeltaClient(address: string, id: string, group: string, routeNames: string[]): BenchClient {
  const { Client } = adsService();
  const client = new Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1, 'grpc.use_local_subchannel_pool': 1 });
  const call = (client as unknown as { DeltaAggregatedResources(): grpc.ClientDuplexStream<object, { type_url: string; nonce: string }> }).DeltaAggregatedResources();
  call.on('data', (r) => call.write({ type_url: r.type_url, response_nonce: r.nonce }));
  call.on('error', () => undefined);
  call.write({ node: { id, cluster: group }, type_url: CLUSTER_TYPE_URL, resource_names_subscribe: ['*'] });
  call.write({ type_url: CLUSTER_LOAD_ASSIGNMENT_TYPE_URL, resource_names_subscribe: ['*'] });
  call.write({ type_url: LISTENER_TYPE_URL, resource_names_subscribe: ['*'] });
  call.write({ type_url: ROUTE_CONFIGURATION_TYPE_URL, resource_names_subscribe: routeNames });
  return {
    close: () => {
      call.cancel();
      client.close();
    },
  };
}
