/**
 * Runs async tasks one at a time, in arrival order. Pushes go through one queue so that the
 * expected_version check and the commit that follows it are a single step: of two concurrent pushes
 * with the same expected_version, exactly one sees its expectation met.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
