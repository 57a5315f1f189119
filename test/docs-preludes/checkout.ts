/** Docs prelude: a run charging an order through the reader's payment service. */
declare const run: import('warden/durable').RunContext;
declare const order: { id: string; total: number };
declare const stripe: {
  charge(order: { id: string; total: number }, options: { idempotencyKey: string }): Promise<{ id: string }>;
  findByKey(idempotencyKey: string): Promise<{ id: string } | undefined>;
};
export {};
