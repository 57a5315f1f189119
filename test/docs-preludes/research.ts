/** Docs prelude: what the README's agent example takes from earlier sections. */
declare const pricing: import('warden').PricingTable;
declare const globalBudget: import('warden').Budget;
declare const question: string;
export {};
