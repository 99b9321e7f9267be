/**
 * Envoy's load-balancing policies over a fixed host list (built when the cluster's membership changes).
 * Hosts marked unhealthy by EDS are skipped unless fewer than half are healthy (Envoy's default
 * healthy_panic_threshold of 50 %), in which case all hosts are used.
 */
import { LbPolicy } from '../config/model';
import { UpstreamHost } from './upstream-host';

export interface LoadBalancer {
  pick(): UpstreamHost | undefined;
  readonly panic: boolean;
}

const PANIC_THRESHOLD = 0.5;

export function createLoadBalancer(policy: LbPolicy, all: readonly UpstreamHost[], random: () => number = Math.random): LoadBalancer {
  const healthy = all.filter((h) => h.healthy);
  const panic = all.length > 0 && healthy.length < all.length * PANIC_THRESHOLD;
  const hosts = panic ? all : healthy;
  if (hosts.length === 0) return { pick: () => undefined, panic };
  if (hosts.length === 1) return { pick: () => hosts[0], panic };
  const equalWeights = hosts.every((h) => h.weight === hosts[0].weight);
  switch (policy) {
    case 'RANDOM':
      return { pick: weightedRandom(hosts, equalWeights, random), panic };
    case 'LEAST_REQUEST':
      return { pick: leastRequest(hosts, random), panic };
    default:
      return { pick: equalWeights ? roundRobin(hosts) : smoothWeightedRoundRobin(hosts), panic };
  }
}

function roundRobin(hosts: readonly UpstreamHost[]): () => UpstreamHost {
  let next = 0;
  return () => {
    const h = hosts[next];
    next = next + 1 === hosts.length ? 0 : next + 1;
    return h;
  };
}

/** nginx's smooth weighted round robin: weights honoured without bursts to one host. */
function smoothWeightedRoundRobin(hosts: readonly UpstreamHost[]): () => UpstreamHost {
  const current = hosts.map(() => 0);
  const total = hosts.reduce((s, h) => s + h.weight, 0);
  return () => {
    let best = 0;
    for (let i = 0; i < hosts.length; i++) {
      current[i] += hosts[i].weight;
      if (current[i] > current[best]) best = i;
    }
    current[best] -= total;
    return hosts[best];
  };
}

function weightedRandom(hosts: readonly UpstreamHost[], equal: boolean, random: () => number): () => UpstreamHost {
  if (equal) return () => hosts[Math.floor(random() * hosts.length)];
  const total = hosts.reduce((s, h) => s + h.weight, 0);
  return () => {
    let r = random() * total;
    for (const h of hosts) {
      if ((r -= h.weight) < 0) return h;
    }
    return hosts[hosts.length - 1];
  };
}

/** Envoy's LEAST_REQUEST default: power of two random choices, fewer active requests wins. */
function leastRequest(hosts: readonly UpstreamHost[], random: () => number): () => UpstreamHost {
  return () => {
    const a = hosts[Math.floor(random() * hosts.length)];
    const b = hosts[Math.floor(random() * hosts.length)];
    return b.active < a.active ? b : a;
  };
}
