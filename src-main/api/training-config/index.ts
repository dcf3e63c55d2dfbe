// Everything a training configuration is, in one place and free of dependencies, so that the
// API's schema, the core's check, the CLI and the Train form read the same rules.
export * from './fields';
export * from './issues';
export * from './paper';
