/**
 * The frame every benchmark runs in: a scratch directory, the child processes it starts (stopped and
 * removed whatever happens), and a stack trace plus exit code 1 on failure.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stopChild } from './process';

export interface BenchContext {
  dir: string;
  /** Register a child process to be stopped at the end. */
  own<T extends ChildProcess>(child: T): T;
}

export function runBench(body: (ctx: BenchContext) => Promise<void>): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'sg-bench-'));
  const children: ChildProcess[] = [];
  const ctx: BenchContext = { dir, own: (child) => (children.push(child), child) };
  body(ctx)
    .catch((err) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    })
    .finally(async () => {
      await Promise.all(children.map((c) => stopChild(c)));
      rmSync(dir, { recursive: true, force: true });
    });
}
