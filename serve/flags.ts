/** `mtl serve`'s flags, as commander gives them (texts), checked and turned into ServeOptions. */
import { UserError } from '../runtime/errors.js';
import type { ServeOptions } from './options.js';

export interface ServeFlags {
  host: string;
  port: string;
  batchWindowMs: string;
  maxBatchRows: string;
  cacheMb: string;
  cacheTtlS: string;
  backboneOnce: boolean;
  bodyLimitKb: string;
  maxRequestRows: string;
  driftThreshold: string;
  minPredictions: string;
  backend?: string;
}

/** `text` as a number within [min, max] (whole if `whole`); a usage error naming the flag otherwise. */
function numberFlag(flag: string, text: string, min: number, whole: boolean, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || (whole && !Number.isInteger(n)) || n < min || n > max) {
    throw new UserError(`${flag} is ${whole ? 'a whole number' : 'a number'} from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}, not ${JSON.stringify(text)}`, 2);
  }
  return n;
}

export function serveOptions(flags: ServeFlags): Partial<ServeOptions> {
  return {
    host: flags.host,
    port: numberFlag('--port', flags.port, 0, true, 65535),
    batchWindowMs: numberFlag('--batch-window-ms', flags.batchWindowMs, 0, false, 1000),
    maxBatchRows: numberFlag('--max-batch-rows', flags.maxBatchRows, 1, true),
    cacheBytes: Math.round(numberFlag('--cache-mb', flags.cacheMb, 0, false) * 1024 * 1024),
    cacheTtlMs: numberFlag('--cache-ttl-s', flags.cacheTtlS, 0, false) * 1000,
    backboneOnce: flags.backboneOnce,
    bodyLimit: Math.round(numberFlag('--body-limit-kb', flags.bodyLimitKb, 1, false) * 1024),
    maxRequestRows: numberFlag('--max-request-rows', flags.maxRequestRows, 1, true),
    driftThreshold: numberFlag('--drift-threshold', flags.driftThreshold, 0, false),
    minPredictions: numberFlag('--min-predictions', flags.minPredictions, 1, true),
    ...(flags.backend === undefined ? {} : { backend: flags.backend }),
  };
}
