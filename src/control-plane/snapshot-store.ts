/**
 * The control plane's source of truth: the configuration of every group, versioned and persisted.
 *
 * Versions are one counter for the whole store ("1", "2", …), bumped by every accepted push or
 * rollback that changes something. Each group (gateways sharing a node.cluster; "" is the default
 * for gateways without a group of their own) records, per resource kind, the version at which that
 * kind last changed: that number is the kind's xDS version_info. So a push that only touches
 * clusters moves CDS and leaves LDS/RDS/EDS versions alone, and after a restart the same strings are
 * served again, so reconnecting gateways see no change.
 */
import { EventEmitter } from 'node:events';
import { Problem } from '../config/problems';
import { applyChange, DeleteNames } from './config-change';
import { changedKinds, EncodedConfig, encodeLists } from './encoded-config';
import { validatePush } from './push-validation';
import { KIND_TYPE_URL, RESOURCE_KINDS, ResourceKind, ResourceLists, SHORT_TYPES_IN_ORDER, emptyLists, shortType } from './resource-kinds';
import { countLists } from './push-document';
import { SerialQueue } from '../xds/serial-queue';
import { AtomicWriteOptions } from './atomic-file';
import { GroupChangeRecord, StoredGroup, VersionFiles, VersionMeta } from './version-files';

export const DEFAULT_GROUP = '';
export const DEFAULT_KEEP_VERSIONS = 50;

export interface GroupView extends StoredGroup {
  group: string;
  encoded: EncodedConfig;
}

export interface PushInput {
  full?: ResourceLists;
  change?: { upsert: ResourceLists; deletes: DeleteNames };
  /** "" = every group. */
  group: string;
  dryRun?: boolean;
  expectedVersion?: string;
  description?: string;
}

export interface PushOutcome {
  version: number;
  changed: boolean;
  dryRun: boolean;
  warnings: Problem[];
  groups: GroupChangeRecord[];
}

export type RejectKind = 'invalid' | 'precondition' | 'not-found';

/** A push or rollback the store refused; nothing was changed. */
export class PushRejected extends Error {
  constructor(readonly kind: RejectKind, message: string, readonly problems: Problem[] = [], readonly warnings: Problem[] = []) {
    super(message);
    this.name = 'PushRejected';
  }
}

export interface StoreOptions {
  keepVersions?: number;
  writeOptions?: AtomicWriteOptions;
}

interface NextGroup {
  lists: ResourceLists;
  encoded: EncodedConfig;
}

export class SnapshotStore extends EventEmitter {
  private currentVersion = 0;
  private groupsByKey = new Map<string, GroupView>();
  private metas: VersionMeta[] = [];
  private readonly queue = new SerialQueue();
  private readonly keepVersions: number;

  private constructor(private readonly files: VersionFiles, options: StoreOptions) {
    super();
    this.keepVersions = Math.max(1, options.keepVersions ?? DEFAULT_KEEP_VERSIONS);
    // Every ADS stream and Watch call listens for new versions; hundreds are normal, not a leak.
    this.setMaxListeners(0);
  }

  /** Opens (creating if needed) the data directory and loads the newest version. */
  static async open(dataDir: string, options: StoreOptions = {}): Promise<SnapshotStore> {
    const files = new VersionFiles(dataDir, options.writeOptions);
    await files.init();
    const store = new SnapshotStore(files, options);
    await store.load();
    return store;
  }

  get version(): number {
    return this.currentVersion;
  }

  /** The configuration served to gateways whose node.cluster is `group`: its own, else the default. */
  effective(group: string): GroupView | undefined {
    return this.groupsByKey.get(group) ?? this.groupsByKey.get(DEFAULT_GROUP);
  }

  groups(): GroupView[] {
    return [...this.groupsByKey.values()];
  }

  history(limit = 0): VersionMeta[] {
    return limit > 0 ? this.metas.slice(0, limit) : [...this.metas];
  }

  push(input: PushInput): Promise<PushOutcome> {
    return this.queue.run(async () => {
      this.checkExpected(input.expectedVersion);
      const { next, remove } = this.targets(input);
      const validated = validateGroups(next);
      return this.commit({ action: input.full ? 'push' : 'change', group: input.group, description: input.description ?? '' }, validated, remove, input.dryRun ?? false);
    });
  }

  /** Serves the configuration of `to` again, as a new version. */
  rollback(to: number, options: { dryRun?: boolean; expectedVersion?: string; description?: string } = {}): Promise<PushOutcome> {
    return this.queue.run(async () => {
      this.checkExpected(options.expectedVersion);
      if (!this.metas.some((m) => m.version === to)) {
        throw new PushRejected('not-found', `version ${to} is not in the history (kept: ${this.metas.map((m) => m.version).join(', ') || 'none'})`);
      }
      const old = await this.files.read(to);
      const next = new Map(Object.entries(old.body.groups).map(([key, g]) => [key, g.lists]));
      const remove = [...this.groupsByKey.keys()].filter((k) => !next.has(k));
      let validated: ValidatedGroups;
      try {
        validated = validateGroups(next);
      } catch (err) {
        if (err instanceof PushRejected) throw new PushRejected('invalid', `version ${to} does not pass today's validation`, err.problems, err.warnings);
        throw err;
      }
      return this.commit({ action: 'rollback', group: DEFAULT_GROUP, description: options.description ?? `rollback to ${to}`, rolledBackTo: to }, validated, remove, options.dryRun ?? false);
    });
  }

  private checkExpected(expected: string | undefined): void {
    if (expected === undefined || expected === '') return;
    if (expected !== String(this.currentVersion)) {
      throw new PushRejected('precondition', `expected version ${expected}, but the current version is ${this.currentVersion}; fetch the current configuration and retry`);
    }
  }

  /** Which groups a push rewrites, and their new resource lists. */
  private targets(input: PushInput): { next: Map<string, ResourceLists>; remove: string[] } {
    const next = new Map<string, ResourceLists>();
    if (input.full) {
      next.set(input.group, input.full);
      // A full push to every gateway replaces every group's configuration.
      const remove = input.group === DEFAULT_GROUP ? [...this.groupsByKey.keys()].filter((k) => k !== DEFAULT_GROUP) : [];
      return { next, remove };
    }
    if (!input.change) throw new PushRejected('invalid', 'a push needs a full configuration or a change', [{ path: '', message: 'a push needs a full configuration or a change' }]);
    const keys = input.group === DEFAULT_GROUP ? (this.groupsByKey.size > 0 ? [...this.groupsByKey.keys()] : [DEFAULT_GROUP]) : [input.group];
    const problems: Problem[] = [];
    for (const key of keys) {
      const base = this.effective(key)?.lists ?? emptyLists();
      const result = applyChange(base, input.change.upsert, input.change.deletes);
      if (result.lists) next.set(key, result.lists);
      else problems.push(...prefixProblems(result.problems, key, keys.length > 1));
    }
    if (problems.length > 0) throw new PushRejected('invalid', 'the change does not apply', problems);
    return { next, remove: [] };
  }

  private async commit(meta: Pick<VersionMeta, 'action' | 'group' | 'description' | 'rolledBackTo'>, validated: ValidatedGroups, remove: string[], dryRun: boolean): Promise<PushOutcome> {
    const version = this.currentVersion + 1;
    const groups = new Map(this.groupsByKey);
    const changes: GroupChangeRecord[] = [];
    for (const key of remove) groups.delete(key);
    for (const [key, g] of validated.groups) {
      const before = this.effective(key);
      // The first configuration a group ever gets is a change for every kind, even an empty one.
      const changed = before ? changedKinds(before.encoded, g.encoded) : [...RESOURCE_KINDS];
      const typeVersions = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, changed.includes(k) || !before ? version : before.typeVersions[k]])) as Record<ResourceKind, number>;
      groups.set(key, { group: key, configVersion: changed.length > 0 || !before ? version : before.configVersion, typeVersions, lists: g.lists, encoded: g.encoded });
      if (changed.length > 0) changes.push(changeRecord(key, changed, g.lists));
    }
    for (const key of remove) {
      const before = this.groupsByKey.get(key);
      const after = groups.get(DEFAULT_GROUP);
      if (before && after) {
        const changed = changedKinds(before.encoded, after.encoded);
        if (changed.length > 0) changes.push(changeRecord(key, changed, after.lists));
      }
    }
    const outcome = { version, changed: changes.length > 0 || remove.length > 0, dryRun, warnings: validated.warnings, groups: changes };
    if (!outcome.changed) return { ...outcome, version: this.currentVersion };
    if (dryRun) return outcome;
    const full: VersionMeta = { version, createdAt: new Date().toISOString(), ...meta, groups: changes };
    await this.files.write(full, { groups: Object.fromEntries([...groups].map(([k, g]) => [k, stored(g)])) });
    this.currentVersion = version;
    this.groupsByKey = groups;
    this.metas.unshift(full);
    const pruned = await this.files.prune(this.keepVersions);
    if (pruned.length > 0) this.metas = this.metas.filter((m) => !pruned.includes(m.version));
    this.emit('version', full);
    return outcome;
  }

  private async load(): Promise<void> {
    const versions = await this.files.list();
    if (versions.length === 0) return;
    const latest = versions[versions.length - 1];
    const { meta, body } = await this.files.read(latest);
    for (const [key, g] of Object.entries(body.groups)) {
      const result = encodeLists(g.lists);
      if (!result.encoded) throw new Error(`version ${latest}, group "${key}": stored resources no longer encode: ${result.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
      this.groupsByKey.set(key, { group: key, ...g, encoded: result.encoded });
    }
    this.currentVersion = meta.version;
    const metas: VersionMeta[] = [];
    for (const v of versions.reverse()) metas.push(v === latest ? meta : await this.files.readMeta(v));
    this.metas = metas;
  }
}

interface ValidatedGroups {
  groups: Map<string, NextGroup>;
  warnings: Problem[];
}

/** Validates every group's new configuration; throws PushRejected listing every problem of every group. */
function validateGroups(next: Map<string, ResourceLists>): ValidatedGroups {
  const groups = new Map<string, NextGroup>();
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const many = next.size > 1;
  for (const [key, lists] of next) {
    const v = validatePush(lists);
    problems.push(...prefixProblems(v.problems, key, many));
    warnings.push(...prefixProblems(v.warnings, key, many));
    if (v.encoded) groups.set(key, { lists, encoded: v.encoded });
  }
  if (problems.length > 0) throw new PushRejected('invalid', 'configuration rejected', problems, warnings);
  return { groups, warnings };
}

function prefixProblems(problems: Problem[], group: string, many: boolean): Problem[] {
  if (!many) return problems;
  const label = group === DEFAULT_GROUP ? 'default' : group;
  return problems.map((p) => ({ ...p, path: `[group ${label}] ${p.path}` }));
}

function changeRecord(group: string, kinds: ResourceKind[], lists: ResourceLists): GroupChangeRecord {
  // Listed in serving order (CDS, EDS, LDS, RDS), as operators see them arrive.
  const changedTypes = SHORT_TYPES_IN_ORDER.filter((t) => kinds.some((k) => shortType(KIND_TYPE_URL[k]) === t));
  return { group, changedTypes, counts: countLists(lists) };
}

function stored(g: GroupView): StoredGroup {
  return { configVersion: g.configVersion, typeVersions: g.typeVersions, lists: g.lists };
}
