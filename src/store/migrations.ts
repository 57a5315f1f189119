/**
 * Versioned schema migrations, applied in order when a store opens, each in its own
 * transaction together with the version bump (so a crash mid-migration leaves the previous
 * version intact). The version lives in `warden_meta`. A database whose version is newer than
 * {@link SCHEMA_VERSION} is refused with `SchemaTooNewError`: Warden never downgrades.
 *
 * Migrations are append-only: a released migration is never edited; a change is a new one. The
 * one exception, version 2, stopped creating the memory graph's tables when they moved to the
 * memory layer, which creates the same tables itself (version 4 says why nothing is lost).
 *
 * These are the store's own tables. A higher layer's tables are that layer's: it declares their
 * migrations with `defineLayerTables` and applies them with `openLayerTables` (layer-tables.ts).
 */

export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  readonly version: number;
  readonly description: string;
  /** Statements to run, in order. */
  sql(dialect: Dialect): readonly string[];
}

const v1: Migration = {
  version: 1,
  description: 'runs, journal, effects, dead letters, quarantine, approvals, audit, leases',
  sql(dialect) {
    const autoId = dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY';
    // Times are clock milliseconds, which may have a fraction (the real clock is sub-millisecond).
    const time = dialect === 'sqlite' ? 'REAL' : 'DOUBLE PRECISION';
    return [
      `CREATE TABLE warden_runs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        input TEXT NOT NULL,
        output TEXT,
        error TEXT,
        suspend_reason TEXT,
        suspend_detail TEXT,
        epoch BIGINT NOT NULL DEFAULT 0,
        owner TEXT,
        lease_expires_at ${time},
        request TEXT,
        trace_id TEXT NOT NULL,
        replay_of TEXT,
        created_at ${time} NOT NULL,
        updated_at ${time} NOT NULL,
        finished_at ${time},
        archived_at ${time},
        archive TEXT
      )`,
      'CREATE INDEX warden_runs_status ON warden_runs (status, updated_at)',
      `CREATE TABLE warden_journal (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        outcome TEXT NOT NULL,
        value TEXT,
        error TEXT,
        at ${time} NOT NULL,
        PRIMARY KEY (run_id, seq)
      )`,
      `CREATE TABLE warden_effects (
        key TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        input TEXT,
        intent_at ${time} NOT NULL,
        done_at ${time}
      )`,
      'CREATE INDEX warden_effects_run ON warden_effects (run_id, seq)',
      `CREATE TABLE warden_dead_letters (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        run_id TEXT,
        input TEXT NOT NULL,
        error TEXT NOT NULL,
        attempts TEXT NOT NULL,
        trace_id TEXT NOT NULL,
        status TEXT NOT NULL,
        replay_input TEXT,
        replayed_as TEXT,
        created_at ${time} NOT NULL,
        updated_at ${time} NOT NULL
      )`,
      'CREATE INDEX warden_dead_letters_status ON warden_dead_letters (status, created_at)',
      `CREATE TABLE warden_quarantine (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        record TEXT NOT NULL,
        PRIMARY KEY (namespace, key)
      )`,
      `CREATE TABLE warden_approvals (
        id TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        action TEXT NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        details TEXT NOT NULL,
        status TEXT NOT NULL,
        requested_at ${time} NOT NULL,
        decided_at ${time},
        decided_by TEXT,
        decision_reason TEXT
      )`,
      'CREATE INDEX warden_approvals_status ON warden_approvals (status, requested_at)',
      `CREATE TABLE warden_audit (
        id ${autoId},
        at ${time} NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        reason TEXT,
        details TEXT
      )`,
      'CREATE INDEX warden_audit_subject ON warden_audit (subject, id)',
      `CREATE TABLE warden_leases (
        key TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at ${time} NOT NULL
      )`,
    ];
  },
};

/**
 * The memory graph's tables were created here until the memory layer took them over
 * (src/memory/migrations.ts): a database that this migration gave them keeps them, and version 4
 * records them as the memory layer's version 1. It now creates nothing; a store gets the memory
 * tables when the memory layer first opens on it.
 */
const v2: Migration = {
  version: 2,
  description: 'memory graphs (their tables now belong to the memory layer: see version 4)',
  sql() {
    return [];
  },
};

const v3: Migration = {
  version: 3,
  description: 'runs: the process holding a run (host, pid space, pid, start time), so a dead owner on the same machine is taken over at once',
  sql() {
    return [
      'ALTER TABLE warden_runs ADD COLUMN owner_host TEXT',
      'ALTER TABLE warden_runs ADD COLUMN owner_pid_space TEXT',
      'ALTER TABLE warden_runs ADD COLUMN owner_pid BIGINT',
      'ALTER TABLE warden_runs ADD COLUMN owner_start TEXT',
    ];
  },
};

/**
 * Layers keep their own tables in the store, each with its own migrations and version (a row of
 * `warden_layer_versions`: see layer-tables.ts). A database that version 2 gave the memory
 * graph's tables (its version was 2 or more before this one) records them as the memory layer's
 * version 1, so they are kept as they are, never created again.
 */
const v4: Migration = {
  version: 4,
  description: "layers' own tables: warden_layer_versions; the memory tables of version 2 are the memory layer's version 1",
  sql() {
    return [
      'CREATE TABLE warden_layer_versions (layer TEXT PRIMARY KEY, version INTEGER NOT NULL)',
      // warden_meta still holds the version this database had before these migrations ran.
      `INSERT INTO warden_layer_versions (layer, version)
        SELECT 'memory', 1 FROM warden_meta WHERE key = 'schema_version' AND CAST(value AS INTEGER) >= 2`,
    ];
  },
};

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [v1, v2, v3, v4];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
