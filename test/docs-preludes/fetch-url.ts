/** Docs prelude: the address the reader's resilient fetch calls. */
declare const url: string;
export {};
