// Go-style durations in specs ("30s", "1m30s"); the same grammar as the config file's.
export { parseDuration as parseGoDuration } from '../../runtime/duration.ts';
