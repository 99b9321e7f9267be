/**
 * Trace and span ids as lower-case hex, from Math.random like OTel's RandomIdGenerator, but built in
 * JavaScript from a byte→hex table instead of a shared Buffer and a native toString('hex') per id:
 * every request needs three ids (server, primary, shadow), shed or recorded.
 */
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

const random32 = (): number => (Math.random() * 0x1_0000_0000) >>> 0;

function hex32(n: number): string {
  return HEX[n >>> 24] + HEX[(n >>> 16) & 0xff] + HEX[(n >>> 8) & 0xff] + HEX[n & 0xff];
}

/** An all-zero id is invalid (W3C trace-context): its last bit is set instead, as OTel does. */
function lastWord(n: number, othersZero: boolean): string {
  return hex32(othersZero && n === 0 ? 1 : n);
}

export class FastIdGenerator implements IdGenerator {
  generateTraceId(): string {
    const a = random32();
    const b = random32();
    const c = random32();
    return hex32(a) + hex32(b) + hex32(c) + lastWord(random32(), (a | b | c) === 0);
  }

  generateSpanId(): string {
    const a = random32();
    return hex32(a) + lastWord(random32(), a === 0);
  }
}
