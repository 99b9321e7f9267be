/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over the
 * target, fsync the directory. rename(2) is atomic within a file system, so after a crash at any
 * step the target holds either its old content or the new one, never a mix; the directory fsync
 * makes the rename itself durable. Leftover temp files are harmless and swept by the caller.
 *
 * A hook runs before each step so tests can "crash" there: a hook that never resolves freezes the
 * write at that point, leaving the disk exactly as a killed process would (no cleanup runs).
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

export type AtomicStep = 'write' | 'fsync-file' | 'rename' | 'fsync-dir';

export interface AtomicWriteOptions {
  mode?: number;
  /** Awaited before each step; receives the temp file's path. */
  beforeStep?: (step: AtomicStep, tempFile: string) => void | Promise<void>;
}

export const TEMP_PREFIX = '.tmp-';

export async function writeFileAtomic(target: string, data: string | Buffer, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(target);
  const temp = path.join(dir, `${TEMP_PREFIX}${path.basename(target)}.${process.pid}.${Date.now()}`);
  const step = async (s: AtomicStep): Promise<void> => options.beforeStep?.(s, temp);
  let handle: fsp.FileHandle | undefined;
  try {
    await step('write');
    handle = await fsp.open(temp, 'wx', options.mode ?? 0o600);
    await handle.writeFile(data);
    await step('fsync-file');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await step('rename');
    await fsp.rename(temp, target);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fsp.unlink(temp).catch(() => undefined);
    throw err;
  }
  await step('fsync-dir');
  await fsyncDir(dir);
}

/** Makes a rename durable (POSIX: the directory entry lives in the directory's own data). */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
