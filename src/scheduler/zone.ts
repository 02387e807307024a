// The scheduler's zone arithmetic now lives in src/time.ts (Intl-based fast paths).
// Kept as aliases for the modules that still import these names.
export { isoInZone as isoOf, localDate as localDateOf } from '../time.js';
