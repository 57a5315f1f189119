/** A bare forked child for the isolation benchmark: load the module, report ready, idle. */
import { enableCompileCache } from 'node:module';

enableCompileCache();
// Started with `node -e <boot> -- <module> [spin]`: argv is [node, module, spin?].
const args = process.argv.slice(1);
await import(args[0] as string);
process.send?.('ready');
if (args[1] === 'spin')
  process.on('message', () => {
    for (;;) {}
  });
setInterval(() => {}, 1 << 30);
