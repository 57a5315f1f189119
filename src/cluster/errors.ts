/**
 * The cluster's errors. A cluster lives in one Postgres database, so a SQLite store (or no store
 * at all) is refused at once, naming where the store is and how to give it a Postgres one.
 */
import { WardenError } from '../runtime/index.ts';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    ClusterNeedsPostgresError: ClusterNeedsPostgresError;
  }
}

/** `joinCluster` (or `warden cluster`) was given a store that is not Postgres. */
export class ClusterNeedsPostgresError extends WardenError<'CLUSTER_NEEDS_POSTGRES', { location: string; kind: string }> {
  constructor(location: string, kind: string) {
    super(
      'CLUSTER_NEEDS_POSTGRES',
      `the cluster needs Postgres: ${location} is a ${kind} store; open a postgres:// one (WARDEN_DATABASE_URL, or --db postgres://...)`,
      { location, kind },
    );
  }
}
