/**
 * Crash-safe file replacement: write a temp file in the same directory, fsync it, rename it over the
 * target, fsync the directory. rename(2) is atomic within a file system, so after a crash at any
 * step the target holds either its old content or the new one, never a mix; the directory fsync
 * makes the rename itself durable. Leftover temp files are harmless and swept by the caller.
 *
 * The file-system calls are injectable so tests can "crash" between any two steps.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

export interface AtomicFs {
  open(file: string, flags: string, mode?: number): Promise<fsp.FileHandle>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
}

export const REAL_FS: AtomicFs = {
  open: (file, flags, mode) => fsp.open(file, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (file) => fsp.unlink(file),
};

/** Steps a test can hook to simulate a crash (throw) right before they happen. */
export type AtomicStep = 'write' | 'fsync-file' | 'rename' | 'fsync-dir';

export interface AtomicWriteOptions {
  fs?: AtomicFs;
  mode?: number;
  beforeStep?: (step: AtomicStep) => void;
}

export const TEMP_PREFIX = '.tmp-';

export async function writeFileAtomic(target: string, data: string | Buffer, options: AtomicWriteOptions = {}): Promise<void> {
  const fs = options.fs ?? REAL_FS;
  const dir = path.dirname(target);
  const temp = path.join(dir, `${TEMP_PREFIX}${path.basename(target)}.${process.pid}.${Date.now()}`);
  const step = (s: AtomicStep): void => options.beforeStep?.(s);
  let handle: fsp.FileHandle | undefined;
  try {
    step('write');
    handle = await fs.open(temp, 'wx', options.mode ?? 0o600);
    await handle.writeFile(data);
    step('fsync-file');
    await handle.sync();
    await handle.close();
    handle = undefined;
    step('rename');
    await fs.rename(temp, target);
  } catch (err) {
    await handle?.close().catch(() => undefined);
    await fs.unlink(temp).catch(() => undefined);
    throw err;
  }
  step('fsync-dir');
  await fsyncDir(dir, fs);
}

/** Makes a rename durable (POSIX: the directory entry lives in the directory's own data). */
export async function fsyncDir(dir: string, fs: AtomicFs = REAL_FS): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
