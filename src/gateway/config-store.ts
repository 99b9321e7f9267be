/** Holds the current RuntimeSnapshot; a swap is one reference assignment. */
import { EventEmitter } from 'node:events';
import { RuntimeSnapshot } from './runtime-snapshot';

export class ConfigStore extends EventEmitter {
  constructor(private snapshot: RuntimeSnapshot) {
    super();
  }

  get current(): RuntimeSnapshot {
    return this.snapshot;
  }

  swap(next: RuntimeSnapshot): void {
    const previous = this.snapshot;
    this.snapshot = next;
    this.emit('swap', next, previous);
  }
}
