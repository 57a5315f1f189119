/**
 * Preloaded with `node --import` by the start-up test: records every module the process
 * resolves and, as it exits, writes their URLs as one JSON line to the file named by
 * WARDEN_RECORD_LOADS, so a test can tell which packages a command or an import pulled in.
 */
import { writeFileSync } from 'node:fs';
import module from 'node:module';

const out = process.env.WARDEN_RECORD_LOADS;
const loaded = new Set<string>();
module.registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    loaded.add(resolved.url);
    return resolved;
  },
});
process.on('exit', () => {
  if (out !== undefined) writeFileSync(out, `${JSON.stringify([...loaded])}\n`);
});
