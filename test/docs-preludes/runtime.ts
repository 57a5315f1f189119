/** Docs prelude: the runtime a page created earlier (`const rt = new Runtime()`). */
declare const rt: import('warden').Runtime;
export {};
