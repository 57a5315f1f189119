/**
 * `warden sim serve` and `warden chaos-proxy`: bad input is refused with exit status 2 and a
 * message naming the option, file or field; the real executables serve the official SDKs, the
 * proxy injects the rules file's faults, and both stop cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { runCli, type CliRun } from './support/cli-harness.ts';

const repo = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'warden-sim-cli-'));

const cli = (...argv: string[]): Promise<CliRun> => runCli(argv, { cwd: dir });

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

describe('bad input', () => {
  it.each([
    [['sim'], "missing subcommand: use 'warden sim serve'"],
    [['sim', 'start'], "unknown subcommand 'start'"],
    [['sim', 'serve', '--port', 'x'], '--port must be an integer >= 0 (got "x")'],
    [['sim', 'serve', '--port', '70000'], '--port must be an integer from 0 to 65535'],
    [['sim', 'serve', '--script', 'missing.json'], '--script: cannot read missing.json (ENOENT)'],
    [['sim', 'serve', '--script', file('broken.json', '{ nope')], '--script: broken.json is not valid JSON'],
    [['sim', 'serve', '--script', file('bad-script.json', JSON.stringify({ rules: [{ reply: { text: 'x' }, times: -1 }] }))], 'rules[0].times must be >= 1'],
    [['sim', 'serve', '--bogus'], "Unknown option '--bogus'"],
    // A host name the resolver refuses once escaped as a raw "getaddrinfo EINVAL", with its stack.
    [['sim', 'serve', '--host', 'x'.repeat(300)], '--host: cannot listen on that address (EINVAL)'],
    [['chaos-proxy'], '--target is required'],
    [['chaos-proxy', '--target', 'localhost'], '--target must be an http(s) URL (got "localhost")'],
    [['chaos-proxy', '--target', 'http://127.0.0.1:1', '--seed', '1.5'], '--seed must be an integer'],
    [
      ['chaos-proxy', '--target', 'http://127.0.0.1:1', '--rules', file('bad-rules.json', JSON.stringify([{ fault: { kind: 'explode' } }]))],
      'rules[0].fault.kind must be one of',
    ],
    [
      [
        'chaos-proxy',
        '--target',
        'http://127.0.0.1:1',
        '--rules',
        file('bad-prob.json', JSON.stringify({ rules: [{ probability: 3, fault: { kind: 'reset' } }] })),
      ],
      'rules[0].probability must be <= 1',
    ],
  ])('%j exits 2: %s', async (argv, message) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });
});

describe('the real executables', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    children.length = 0;
  });

  /** Start `warden ...` and resolve with the URL it prints and a way to read its output. */
  function start(...argv: string[]): Promise<{ child: ChildProcess; url: string; output: () => string; exit: Promise<number | null> }> {
    const child = spawn(process.execPath, [join(repo, 'bin/warden'), ...argv], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/[^\s]+)/.exec(out);
        if (m?.[1] !== undefined) resolve({ child, url: m[1], output: () => out, exit });
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
  }

  it('serves both SDKs through the proxy, injects the rules, and stops on SIGTERM', async () => {
    const script = file('script.json', JSON.stringify({ rules: [{ match: { lastUser: 'ping' }, reply: { text: 'pong' } }] }));
    const rules = file('rules.json', JSON.stringify([{ match: { path: '/v1/messages' }, times: 1, fault: { kind: 'overloaded' } }]));
    const sim = await start('sim', 'serve', '--port', '0', '--script', script);
    const proxy = await start('chaos-proxy', '--target', sim.url, '--rules', rules, '--seed', '3');
    const openai = new OpenAI({ apiKey: 'k', baseURL: `${proxy.url}/v1`, maxRetries: 0 });
    const anthropic = new Anthropic({ apiKey: 'k', baseURL: proxy.url, maxRetries: 0 });
    const o = await openai.chat.completions.create({ model: 'sim-small', messages: [{ role: 'user', content: 'ping' }] });
    expect(o.choices[0]?.message.content).toBe('pong');
    const overloaded = await anthropic.messages
      .create({ model: 'sim-large', max_tokens: 10, messages: [{ role: 'user', content: 'ping' }] })
      .catch((e: unknown) => e);
    expect(overloaded).toMatchObject({ status: 529 });
    const a = await anthropic.messages.create({ model: 'sim-large', max_tokens: 10, messages: [{ role: 'user', content: 'ping' }] });
    expect(a.content).toEqual([{ type: 'text', text: 'pong' }]);

    proxy.child.kill('SIGTERM');
    sim.child.kill('SIGTERM');
    expect(await proxy.exit).toBe(0);
    expect(await sim.exit).toBe(0);
    expect(proxy.output()).toContain('→ overloaded (rules[0])');
    expect(proxy.output()).toContain('stopped (SIGTERM) after 3 requests, 1 faults');
    expect(sim.output()).toMatch(/#1 openai \/v1\/chat\/completions model=sim-small → 200 \(rules\[0\]\)/);
    expect(sim.output()).toContain('stopped (SIGTERM) after 2 requests');
  });

  it('reports a port already in use with exit status 2', async () => {
    const sim = await start('sim', 'serve', '--quiet');
    const port = new URL(sim.url).port;
    const r = await cli('sim', 'serve', '--port', port);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--port ${port} is already in use`);
    sim.child.kill('SIGTERM');
    expect(await sim.exit).toBe(0);
  });
});
