/** Docs prelude: the reader's payment service, whose refunds the approval examples gate. */
declare const payments: { refund(orderId: string, amount: number, options: { idempotencyKey: string }): Promise<{ refundId: string }> };
export {};
