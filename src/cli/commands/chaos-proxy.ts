/**
 * `warden chaos-proxy`: run the chaos proxy in front of an endpoint until interrupted, logging
 * each request and the fault it got. A bad option or rules file is reported naming the field,
 * exit status 2.
 */
import { parseRules, startChaosProxy, type ChaosRule } from '../../sim/index.ts';
import { UsageError, integerOption, stringOptions, type Command } from '../command.ts';
import { listenError, loadJsonOption, untilStopped } from './files.ts';

export const chaosProxyCommand: Command = {
  name: 'chaos-proxy',
  help: `Usage: warden chaos-proxy --target URL [--port N] [--host H] [--rules FILE] [--seed N]
                          [--max-hang-ms N] [--quiet]

An HTTP proxy in front of any endpoint (a provider, the simulated server) that
injects faults by rule: 429 with Retry-After, 529 overloaded, 5xx, added latency,
hangs, connection resets, truncated or malformed bodies, and streams cut after K
events. Rules match by method, path and body, fire on every Nth match and/or with
a probability drawn from the seed: the same seed reproduces the same faults for
the same request sequence. Requests no rule picks pass through untouched.
Runs until Ctrl-C.

Options:
  --target URL       where requests go, e.g. http://127.0.0.1:8787 (required)
  --port N           port to listen on; 0 picks a free one (default 0)
  --host H           address to listen on (default 127.0.0.1)
  --rules FILE       JSON rules: [ { match, every, after, probability, times, fault } ]
                     (see docs/sim-and-chaos.md); without it the proxy is transparent
  --seed N           seed for probabilities (default 1)
  --max-hang-ms N    longest a hang lasts before the connection is dropped (default 60000)
  --quiet            do not log each request
  -h, --help         show this help

Example:
  warden chaos-proxy --target http://127.0.0.1:8787 --port 8788 --rules chaos.json --seed 7
`,
  options: { ...stringOptions('target', 'port', 'host', 'rules', 'seed', 'max-hang-ms'), quiet: { type: 'boolean' } },
  positionals: false,
  async run(args, io) {
    const target = args.values.target;
    if (typeof target !== 'string' || target === '') throw new UsageError('--target is required (the URL to forward to)');
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new UsageError(`--target must be an http(s) URL (got "${target}")`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--target must be an http(s) URL (got "${target}")`);
    const port = integerOption(args, 'port', 0);
    if (port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535 (got "${port}")`);
    const seed = integerOption(args, 'seed', 1, -2_147_483_648);
    const maxHangMs = integerOption(args, 'max-hang-ms', 60_000);
    const host = args.values.host === undefined ? '127.0.0.1' : String(args.values.host);
    const rules: ChaosRule[] = args.values.rules === undefined ? [] : loadJsonOption('rules', String(args.values.rules), io.cwd, parseRules);
    let proxy;
    try {
      proxy = await startChaosProxy({ target, port, host, rules, seed, maxHangMs });
    } catch (e) {
      throw listenError(e, port);
    }
    if (args.values.quiet !== true) {
      proxy.onDecision((d) => io.stdout.write(`#${d.seq} ${d.method} ${d.path} → ${d.fault === undefined ? 'pass' : `${d.fault.kind} (${d.rule})`}\n`));
    }
    // Listen for the signals before saying where it listens: whoever reads the URL may stop it at once.
    const stopping = untilStopped();
    io.stdout.write(`warden chaos-proxy: listening on ${proxy.url} → ${target} (${rules.length} rules, seed ${seed})\n`);
    const signal = await stopping;
    await proxy.close();
    io.stdout.write(`warden chaos-proxy: stopped (${signal}) after ${proxy.totals.requests} requests, ${proxy.totals.faults} faults\n`);
    return 0;
  },
};
