/** Docs prelude: a run booking an order in the reader's ledger, a service without idempotency keys. */
declare const run: import('warden/durable').RunContext;
declare const order: { id: string; total: number };
declare const ledger: {
  book(orderId: string, amount: number): Promise<{ entryId: string }>;
  findByOrder(orderId: string): Promise<{ entryId: string } | undefined>;
};
export {};
