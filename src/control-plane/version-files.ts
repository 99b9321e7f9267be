/**
 * The data directory: one immutable file per accepted version, `versions/v<12 digits>.json`.
 *
 * File format: a header line (JSON: format, version, sha256 of the body, metadata) and then the body
 * (JSON: the complete state of every group). The checksum is over the body text exactly as written,
 * so a torn or corrupted file is detected rather than served; the header alone is enough to list
 * history without parsing megabytes of routes.
 *
 * Writes go through writeFileAtomic (temp file, fsync, rename, fsync dir): a crash leaves the
 * previous latest version as the latest, or the new one, and a restart serves whichever it finds.
 */
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { AtomicWriteOptions, TEMP_PREFIX, writeFileAtomic } from './atomic-file';
import { ResourceKind, ResourceLists } from './resource-kinds';

export const FILE_FORMAT = 1;
const NAME = /^v(\d{12})\.json$/;
const HEADER_READ_BYTES = 64 * 1024;

export interface GroupChangeRecord {
  group: string;
  changedTypes: string[];
  counts: Record<ResourceKind, number>;
}

export interface VersionMeta {
  version: number;
  createdAt: string;
  action: 'push' | 'change' | 'rollback';
  /** Target group; "" = all. */
  group: string;
  description: string;
  rolledBackTo?: number;
  groups: GroupChangeRecord[];
}

export interface StoredGroup {
  /** Store version at which this group's configuration last changed. */
  configVersion: number;
  /** Per kind: store version at which that kind last changed for this group (its xDS version_info). */
  typeVersions: Record<ResourceKind, number>;
  lists: ResourceLists;
}

export interface VersionBody {
  /** Key "" is the default configuration, other keys are node.cluster groups. */
  groups: Record<string, StoredGroup>;
}

export interface LoadedVersion {
  meta: VersionMeta;
  body: VersionBody;
}

export class VersionFiles {
  readonly dir: string;

  constructor(dataDir: string, private readonly writeOptions: AtomicWriteOptions = {}) {
    this.dir = path.join(dataDir, 'versions');
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Temp files are what a crash mid-write leaves behind; the version they held was never accepted.
    for (const name of await fsp.readdir(this.dir)) {
      if (name.startsWith(TEMP_PREFIX)) await fsp.unlink(path.join(this.dir, name)).catch(() => undefined);
    }
  }

  fileFor(version: number): string {
    return path.join(this.dir, `v${String(version).padStart(12, '0')}.json`);
  }

  /** Stored version numbers, ascending. */
  async list(): Promise<number[]> {
    const names = await fsp.readdir(this.dir);
    return names.map((n) => NAME.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
  }

  async write(meta: VersionMeta, body: VersionBody): Promise<void> {
    const bodyText = JSON.stringify(body);
    const header = JSON.stringify({ format: FILE_FORMAT, version: meta.version, sha256: sha256(bodyText), meta });
    await writeFileAtomic(this.fileFor(meta.version), `${header}\n${bodyText}`, this.writeOptions);
  }

  async read(version: number): Promise<LoadedVersion> {
    const file = this.fileFor(version);
    const text = await fsp.readFile(file, 'utf8');
    const nl = text.indexOf('\n');
    const header = parseHeader(nl < 0 ? text : text.slice(0, nl), file);
    const bodyText = nl < 0 ? '' : text.slice(nl + 1);
    if (sha256(bodyText) !== header.sha256) throw new Error(`${file}: checksum mismatch (file corrupted); remove it to fall back to the previous version`);
    return { meta: header.meta, body: JSON.parse(bodyText) as VersionBody };
  }

  /** The metadata of a version, reading only the header line. */
  async readMeta(version: number): Promise<VersionMeta> {
    const file = this.fileFor(version);
    const handle = await fsp.open(file, 'r');
    try {
      let text = '';
      const buf = Buffer.alloc(HEADER_READ_BYTES);
      for (let pos = 0; ; pos += buf.length) {
        const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
        text += buf.subarray(0, bytesRead).toString('utf8');
        const nl = text.indexOf('\n');
        if (nl >= 0) return parseHeader(text.slice(0, nl), file).meta;
        if (bytesRead < buf.length) return parseHeader(text, file).meta;
      }
    } finally {
      await handle.close();
    }
  }

  /** Deletes all but the newest `keep` versions. */
  async prune(keep: number): Promise<number[]> {
    const versions = await this.list();
    const doomed = versions.slice(0, Math.max(0, versions.length - keep));
    for (const v of doomed) await fsp.unlink(this.fileFor(v)).catch(() => undefined);
    return doomed;
  }
}

function parseHeader(line: string, file: string): { sha256: string; meta: VersionMeta } {
  let header: { format?: number; sha256?: string; meta?: VersionMeta };
  try {
    header = JSON.parse(line);
  } catch {
    throw new Error(`${file}: unreadable header`);
  }
  if (header.format !== FILE_FORMAT || typeof header.sha256 !== 'string' || !header.meta) throw new Error(`${file}: unknown file format ${String(header.format)}`);
  return { sha256: header.sha256, meta: header.meta };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
