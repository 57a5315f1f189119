/** Docs prelude: the reader's news feed, model and mail service in the daily-digest examples. */
declare function fetchNews(): Promise<string[]>;
declare const llm: { summarise(news: readonly string[]): Promise<string> };
declare const mail: {
  send(to: string, text: string, options: { idempotencyKey: string }): Promise<{ messageId: string }>;
  wasSent(idempotencyKey: string): Promise<boolean>;
};
export {};
