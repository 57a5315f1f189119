/**
 * Kill-and-restart harness for durable runs in real processes: a local HTTP mail service that
 * delivers once per idempotency key and counts every attempt, a worker process
 * (test/durable-crash/worker.ts) that runs a mail batch against it, and `killAndRestart`, which
 * SIGKILLs the worker at the given points (when it reports executing a step, when it reports a
 * journal commit, or when the mail service receives a send, before answering it), restarts it,
 * and checks the outcome: the run completed, every mail was delivered exactly once and never
 * re-sent, no journal entry was lost, and no step ran again after it was journaled.
 *
 * Waits only on events (IPC messages, process exits, requests); never on time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { openStore } from '../../src/store/index.ts';
import type { TestStoreLocation } from '../../src/testing/index.ts';

export type KillPoint = { readonly on: 'exec' | 'journaled' | 'mail'; readonly n: number };

const WORKER = new URL('../durable-crash/worker.ts', import.meta.url).pathname;

interface MailService {
  readonly url: string;
  readonly delivered: Map<string, { id: string; count: number }>;
  readonly attempts: Map<string, number>;
  /** Called when a send arrives, before it is answered; resolve to answer. */
  onSend: ((key: string) => Promise<void>) | undefined;
  close(): Promise<void>;
}

async function startMailService(): Promise<MailService> {
  const delivered = new Map<string, { id: string; count: number }>();
  const attempts = new Map<string, number>();
  const body = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => resolve(data));
      req.on('error', reject);
    });
  const service: MailService = {
    url: '',
    delivered,
    attempts,
    onSend: undefined,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.pathname === '/send') {
      const key = String(req.headers['idempotency-key'] ?? '');
      await body(req);
      attempts.set(key, (attempts.get(key) ?? 0) + 1);
      const existing = delivered.get(key);
      if (existing === undefined) delivered.set(key, { id: `msg-${delivered.size + 1}`, count: 1 });
      else existing.count++;
      await service.onSend?.(key);
      if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: delivered.get(key)!.id }));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/status') {
      const d = delivered.get(url.searchParams.get('key') ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(d === undefined ? { delivered: false } : { delivered: true, id: d.id }));
      return;
    }
    res.writeHead(404).end();
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  (service as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return service;
}

interface Journaled {
  readonly seq: number;
  readonly step: string;
}

export interface CrashRunResult {
  readonly kills: number;
  readonly processes: number;
}

/**
 * Run the mail batch to completion in worker processes, killing the worker at each point in
 * `kills` (in order; a point the run never reaches is skipped), then check every invariant.
 */
export async function killAndRestart(loc: TestStoreLocation, kills: readonly KillPoint[], recipients = ['ada', 'bob', 'cy']): Promise<CrashRunResult> {
  const mail = await startMailService();
  const dir = mkdtempSync(join(tmpdir(), 'warden-crash-'));
  const execLog = join(dir, 'exec.log');
  writeFileSync(execLog, '');
  const journaledSeen: Journaled[] = [];
  let processes = 0;
  let killed = 0;
  let outcome: unknown;
  try {
    const queue = [...kills];
    while (outcome === undefined) {
      const point = queue.shift();
      processes++;
      if (processes > kills.length + 1) assert.fail(`the worker did not finish after ${kills.length} kills`);
      const child: ChildProcess = fork(WORKER, [], {
        env: {
          ...process.env,
          CRASH_DB: loc.db,
          CRASH_SCHEMA: loc.schema ?? '',
          MAIL_URL: mail.url,
          EXEC_LOG: execLog,
          RECIPIENTS: recipients.join(','),
        },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      let count = 0;
      let wasKilled = false;
      const kill = (): void => {
        if (wasKilled) return;
        wasKilled = true;
        killed++;
        child.kill('SIGKILL');
      };
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      mail.onSend = undefined;
      if (point?.on === 'mail') {
        mail.onSend = async () => {
          if (++count === point.n) {
            kill();
            await exited;
          }
        };
      }
      child.on('message', (m: { type: string; seq?: number; step?: string; outcome?: unknown }) => {
        if (m.type === 'journaled') journaledSeen.push({ seq: m.seq!, step: m.step! });
        if (m.type === 'done') outcome = m.outcome;
        if (point !== undefined && m.type === point.on && ++count === point.n) kill();
      });
      await exited;
      if (!wasKilled && outcome === undefined) assert.fail(`the worker exited on its own without finishing:\n${stderr}`);
    }
    mail.onSend = undefined;
    // The run completed with one receipt per recipient.
    assert.deepEqual(outcome, { status: 'completed', runId: 'batch-1', output: recipients.map((_, i) => `msg-${i + 1}`) });
    // Every mail was delivered exactly once, and never sent twice (an uncertain send was reconciled, not retried).
    assert.equal(mail.delivered.size, recipients.length);
    for (const [key, d] of mail.delivered) {
      assert.equal(d.count, 1, `mail ${key} was delivered ${d.count} times`);
      assert.equal(mail.attempts.get(key), 1, `mail ${key} was sent ${mail.attempts.get(key)} times`);
    }
    // No journal entry lost: everything a worker saw committed is in the journal, unchanged.
    const store = await openStore(loc);
    try {
      const journal = await store.readJournal('batch-1');
      assert.deepEqual(
        journal.map((e) => e.name),
        recipients.flatMap((_, i) => [`compose-${i}`, `send-${i}`]),
      );
      for (const seen of journaledSeen) assert.equal(journal[seen.seq]?.name, seen.step, `journal entry ${seen.seq} (${seen.step}) was lost`);
      // No step re-executed after it was journaled: the journaled nonce is the last execution.
      const lines = readFileSync(execLog, 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string]);
      for (const e of journal.filter((x) => x.kind === 'step')) {
        const runs = lines.filter(([step]) => step === e.name);
        const kept = (JSON.parse(e.valueJson!) as { nonce: string }).nonce;
        assert.equal(runs[runs.length - 1]?.[1], kept, `${e.name} ran again after it was journaled`);
      }
      const effects = await store.listEffects('batch-1');
      assert.ok(
        effects.every((x) => x.status === 'done'),
        'every effect is done',
      );
    } finally {
      await store.close();
    }
    return { kills: killed, processes };
  } finally {
    await mail.close();
  }
}
