/** Shared HTTP plumbing of the PSA clients (ConnectWise and Autotask). */
export * from './concurrency';
export * from './http-client';
export * from './logger';
export * from './psa-error';
export * from './redact';
export * from './retry';
export * from './sleep';
export * from './psa-dates';
