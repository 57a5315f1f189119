/**
 * Consumer part (d): the root entry has the store with the runtime and supervisors. Run as
 * `node root-exports.js <work dir>`.
 */
import { join } from 'node:path';
import { openStore, Runtime, startSupervisor, stopSupervisor } from 'warden';

const [dir] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: node root-exports.js <work dir>');

const store = await openStore({ db: join(dir, 'root.db') });
await store.close();
const rt = new Runtime();
const root = await startSupervisor(rt, { strategy: 'one_for_one', children: [] });
await stopSupervisor(rt, root);
console.log("import { openStore, Runtime, startSupervisor } from 'warden': a store opened, a supervisor started");
