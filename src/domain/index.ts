// The pure domain: parse and validate submissions and render their records. No I/O, no clock, no AWS or Temporal imports, so it
// can run in activities, tests and tools alike.
export * from './reasons';
export * from './limits';
export * from './submission';
export * from './decode-body';
export * from './detail';
export * from './validate-submission';
export * from './event-id';
export * from './events';
export * from './partition-key';
export * from './render-submission';
export * from './unknown-fields';
