/**
 * Runs async tasks one at a time, in arrival order; a failed task does not stop the ones after it.
 * Used for xDS responses (processed strictly in arrival order) and for control-plane pushes (the
 * expected_version check and its commit are one step).
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves when every task queued so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
