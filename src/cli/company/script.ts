/**
 * What the simulated model answers each department, and the tasks the scheduled jobs hand them.
 * The rules match on the department's system prompt and the conversation so far (the last user
 * message, the last tool result), never on how many requests came before, so the same task gets
 * the same answers whatever else runs at the same time and however often it is resumed.
 */
import type { SimRule } from '../../sim/index.ts';

const calls = (name: string, args: Record<string, unknown>) => ({ toolCalls: [{ name, arguments: args }] });
const ask = (department: string, question: string) => calls('ask_department', { department, question });

/** The task of each scheduled job; the tag in brackets names the slot, so a fault can aim at one run. */
export const TASKS = {
  dailyPost: (day: string) => `Write and publish today's post. [daily-post ${day}]`,
  weeklyReport: (day: string) => `Write the weekly report. [weekly-report ${day}]`,
  monthlyAccounts: (day: string) => `Close last month's accounts. [monthly-accounts ${day}]`,
};

export const COMPANY_RULES: SimRule[] = [
  // Marketing: asks the CEO what to post about, posts, confirms.
  { match: { system: 'Marketing', toolResult: 'posted' }, reply: { text: "Today's post is out." } },
  { match: { system: 'Marketing', toolResult: 'CEO says' }, reply: calls('post_to_social', { text: 'Small company, big week: the launch is on track.' }) },
  { match: { system: 'Marketing' }, reply: ask('ceo', "What should today's post be about?") },
  // CEO: answers Marketing; writes the weekly report after asking the CFO, the COO, the CTO and the Improver.
  { match: { system: 'the CEO', lastUser: 'post be about' }, reply: { text: 'The launch, and the customers who asked for it.' } },
  { match: { system: 'the CEO', toolResult: 'report filed' }, reply: { text: 'The weekly report is filed.' } },
  {
    match: { system: 'the CEO', toolResult: 'IMPROVER says' },
    reply: calls('file_report', { summary: 'Cash is fine, operations on track, platform stable.' }),
  },
  { match: { system: 'the CEO', toolResult: 'CTO says' }, reply: ask('improver', 'What should we improve next week?') },
  { match: { system: 'the CEO', toolResult: 'COO says' }, reply: ask('cto', 'How is the platform?') },
  { match: { system: 'the CEO', toolResult: 'CFO says' }, reply: ask('coo', 'How are operations?') },
  { match: { system: 'the CEO' }, reply: ask('cfo', 'How is our cash?') },
  // Accountant: asks the Lawyer about the deadline, files the accounts.
  { match: { system: 'the Accountant', toolResult: 'accounts filed' }, reply: { text: 'The accounts are closed and filed.' } },
  { match: { system: 'the Accountant', toolResult: 'LAWYER says' }, reply: calls('file_accounts', { revenue: 4200, expenses: 1300 }) },
  { match: { system: 'the Accountant' }, reply: ask('lawyer', 'Is there a filing deadline for the accounts?') },
  // The CTO looks in the shared memory before answering.
  { match: { system: 'the CTO', toolResult: 'found' }, reply: { text: 'Stable: no incidents in the notes, the last deploy is green.' } },
  { match: { system: 'the CTO' }, reply: calls('recall', { query: 'incident' }) },
  // The health probe's known-answer question.
  { match: { system: 'the CFO', lastUser: '2 + 2' }, reply: { text: '4' } },
  // The others answer at once.
  { match: { system: 'the CFO' }, reply: { text: 'Cash 18,400; burn 1,300 a month.' } },
  { match: { system: 'the COO' }, reply: { text: 'Operations on track; support queue empty.' } },
  { match: { system: 'the Lawyer' }, reply: { text: 'File by the 20th; nothing else is due.' } },
  { match: { system: 'the Improver' }, reply: { text: 'Post at 9:00, when the audience is awake.' } },
];
