/** Docs prelude: the store a page opened earlier (`const store = await openStore()`). */
declare const store: import('warden/store').Store;
export {};
