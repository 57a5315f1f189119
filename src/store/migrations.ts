/**
 * Versioned schema migrations, applied in order when a store opens, each in its own
 * transaction together with the version bump (so a crash mid-migration leaves the previous
 * version intact). The version lives in `warden_meta`. A database whose version is newer than
 * {@link SCHEMA_VERSION} is refused with `SchemaTooNewError`: Warden never downgrades.
 *
 * Migrations are append-only: a released migration is never edited; a change is a new one.
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

const v2: Migration = {
  version: 2,
  description: 'memory graphs: entities, observations, relations (warden/memory)',
  sql(dialect) {
    const autoId = dialect === 'sqlite' ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'BIGSERIAL PRIMARY KEY';
    // Ids only grow, so ordering by id is insertion order (what read_graph returns). Observations
    // are unique per entity by a hash of their text: Postgres cannot index long text directly.
    // The *_lower columns hold JavaScript's toLowerCase() of the text, for search_nodes.
    return [
      `CREATE TABLE warden_memory_entities (
        id ${autoId},
        graph TEXT NOT NULL,
        name TEXT NOT NULL,
        entity_type TEXT NOT NULL,
        name_lower TEXT NOT NULL,
        type_lower TEXT NOT NULL,
        UNIQUE (graph, name)
      )`,
      `CREATE TABLE warden_memory_observations (
        id ${autoId},
        entity_id BIGINT NOT NULL REFERENCES warden_memory_entities (id) ON DELETE CASCADE,
        content TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        content_lower TEXT NOT NULL,
        UNIQUE (entity_id, content_hash)
      )`,
      `CREATE TABLE warden_memory_relations (
        id ${autoId},
        graph TEXT NOT NULL,
        from_name TEXT NOT NULL,
        to_name TEXT NOT NULL,
        relation_type TEXT NOT NULL,
        UNIQUE (graph, from_name, to_name, relation_type)
      )`,
      'CREATE INDEX warden_memory_relations_to ON warden_memory_relations (graph, to_name)',
    ];
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

/** Every migration, oldest first. */
export const MIGRATIONS: readonly Migration[] = [v1, v2, v3];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
