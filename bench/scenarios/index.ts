import type { Scenario } from '../lib/context.js';
import type { RatioSpec } from '../lib/report.js';
import { rawHmacPost } from './raw-hmac-post.js';
import { rawLatency } from './raw-latency.js';
import { rawNoop } from './raw-noop.js';
import { rawPublish } from './raw-publish.js';

/**
 * Scenarios in run order. Delivery-engine scenarios join this list (each in
 * its own module) and run after the raw baseline, in the same process and
 * against the same Redis, so their ratios compare like with like.
 */
export const SCENARIOS: readonly Scenario[] = [rawNoop, rawHmacPost, rawPublish, rawLatency];

/**
 * herald / raw ratios, e.g. `{ key: 'herald_vs_raw_delivery', numerator:
 * 'herald_deliveries_per_s', denominator: 'raw_hmac_post_per_s', … }`.
 * Empty until the engine scenarios exist; a ratio whose figures are missing
 * is left out of the report.
 */
export const RATIOS: readonly RatioSpec[] = [];
