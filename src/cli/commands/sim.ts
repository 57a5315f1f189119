/**
 * `warden sim serve`: run the simulated model server (OpenAI Chat Completions and Anthropic
 * Messages wire formats, scripted deterministic answers) until interrupted, logging each
 * request. A bad option or script file is reported naming the field, exit status 2.
 */
import { parseScript, startSimServer, type SimScript } from '../../sim/index.ts';
import { UsageError, integerOption, stringOptions, type Command } from '../command.ts';
import { listenError, loadJsonOption, untilStopped } from './files.ts';

export const simCommand: Command = {
  name: 'sim',
  help: `Usage: warden sim serve [--port N] [--host H] [--script FILE] [--latency-ms N]
                        [--stream-delay-ms N] [--api-key KEY] [--quiet]

Runs a local HTTP server that speaks the OpenAI Chat Completions API
(POST /v1/chat/completions) and the Anthropic Messages API (POST /v1/messages),
streamed and not, with GET /v1/models. Answers are scripted and deterministic:
the same request always gets the same answer. Point the official SDKs at it:

  OpenAI:    baseURL http://HOST:PORT/v1
  Anthropic: baseURL http://HOST:PORT

GET /_sim/requests lists the requests received, POST /_sim/reset clears them,
PUT /_sim/script replaces the script. Runs until Ctrl-C.

Options:
  --port N             port to listen on; 0 picks a free one (default 0)
  --host H             address to listen on (default 127.0.0.1)
  --script FILE        JSON script of rules, a sequence and defaults (see docs/sim-and-chaos.md)
  --latency-ms N       delay before every answer (default 0)
  --stream-delay-ms N  delay between stream events (default 0)
  --api-key KEY        accept only this key (default: any key)
  --quiet              do not log each request
  -h, --help           show this help

Example (the script format, with a whole example script: docs/sim-and-chaos.md,
"Script format"):
  warden sim serve --port 8787 --script script.json
`,
  options: { ...stringOptions('port', 'host', 'script', 'latency-ms', 'stream-delay-ms', 'api-key'), quiet: { type: 'boolean' } },
  positionals: true,
  async run(args, io) {
    const [sub, ...extra] = args.positionals;
    if (sub === undefined) throw new UsageError("missing subcommand: use 'warden sim serve'");
    if (sub !== 'serve') throw new UsageError(`unknown subcommand '${sub}' (subcommands: serve)`);
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const port = integerOption(args, 'port', 0);
    if (port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535 (got "${port}")`);
    const latencyMs = integerOption(args, 'latency-ms', 0);
    const streamDelayMs = integerOption(args, 'stream-delay-ms', 0);
    const host = args.values.host === undefined ? '127.0.0.1' : String(args.values.host);
    const script: SimScript = args.values.script === undefined ? {} : loadJsonOption('script', String(args.values.script), io.cwd, parseScript);
    const quiet = args.values.quiet === true;
    const apiKey = args.values['api-key'];
    let server;
    try {
      server = await startSimServer({
        port,
        host,
        script,
        latencyMs,
        streamDelayMs,
        ...(typeof apiKey === 'string' ? { apiKey } : {}),
        ...(quiet
          ? {}
          : {
              onRequest: (r) =>
                io.stdout.write(`#${r.seq} ${r.api} ${r.path} model=${r.model ?? '-'}${r.stream ? ' stream' : ''} → ${r.status} (${r.source})\n`),
            }),
      });
    } catch (e) {
      throw listenError(e, port);
    }
    // Listen for the signals before saying where it listens: whoever reads the URL may stop it at once.
    const stopping = untilStopped();
    io.stdout.write(`warden sim: listening on ${server.url}\n  OpenAI baseURL:    ${server.openaiBaseURL}\n  Anthropic baseURL: ${server.anthropicBaseURL}\n`);
    const signal = await stopping;
    await server.close();
    io.stdout.write(`warden sim: stopped (${signal}) after ${server.requestCount} requests\n`);
    return 0;
  },
};
