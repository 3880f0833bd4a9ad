import type { Scenario } from '../lib/context.js';
import type { RatioSpec, TargetSpec } from '../lib/report.js';
import { embeddedNoop } from './embedded-noop.js';
import { heraldHttpIngest } from './herald-http-ingest.js';
import { heraldPipeline } from './herald-pipeline.js';
import { heraldPipelinePostgres } from './herald-pipeline-postgres.js';
import { heraldPublish } from './herald-publish.js';
import { heraldScaleOut } from './herald-scale-out.js';
import { rawHmacPost } from './raw-hmac-post.js';
import { rawLatency } from './raw-latency.js';
import { rawNoop } from './raw-noop.js';
import { rawPublish } from './raw-publish.js';

/**
 * Scenarios in run order: the raw baseline first, then Herald's own, in the
 * same process and against the same Redis, so their ratios compare like with like.
 */
export const SCENARIOS: readonly Scenario[] = [
  rawNoop,
  rawHmacPost,
  rawPublish,
  rawLatency,
  heraldPublish,
  heraldHttpIngest,
  heraldPipeline,
  heraldScaleOut,
  embeddedNoop,
  heraldPipelinePostgres,
];

/** herald / raw. A ratio whose figures are missing (a scenario skipped or failed) is left out. */
export const RATIOS: readonly RatioSpec[] = [
  {
    key: 'ratio_pipeline',
    label: 'pipeline ÷ raw HMAC+POST drain',
    numerator: 'herald_deliveries_per_s',
    denominator: 'raw_hmac_post_per_s',
  },
  {
    key: 'ratio_pipeline_committed',
    label: 'pipeline (to commit) ÷ raw HMAC+POST drain',
    numerator: 'herald_committed_per_s',
    denominator: 'raw_hmac_post_per_s',
  },
  {
    key: 'ratio_cpu_per_delivery',
    label: 'worker CPU per delivery ÷ raw (worker + sink)',
    numerator: 'herald_worker_cpu_us_per_delivery',
    denominator: 'raw_hmac_post_cpu_us_per_delivery',
  },
  {
    // Both drains saturate the same cores, so the CPU they cost per delivery bounds
    // ratio_pipeline: what Herald could reach here at its present CPU cost.
    key: 'ratio_pipeline_cpu_bound',
    label: 'raw ÷ Herald CPU per delivery, every process (bounds ratio_pipeline)',
    numerator: 'raw_hmac_post_total_cpu_us_per_delivery',
    denominator: 'herald_total_cpu_us_per_delivery',
  },
  {
    key: 'ratio_publish_seq',
    label: 'publish ÷ raw add, sequential',
    numerator: 'herald_publish_seq_per_s',
    denominator: 'raw_add_seq_per_s',
  },
  {
    key: 'ratio_publish_inflight64',
    label: 'publish ÷ raw add, 64 in flight',
    numerator: 'herald_publish_inflight64_per_s',
    denominator: 'raw_add_inflight64_per_s',
  },
  {
    // Medians of two scenarios a minute apart; herald-publish's ratio_publish_batch (paired rounds) is the target.
    key: 'ratio_publish_batch_unpaired',
    label: 'publishBatch ÷ raw addBulk (scenario medians)',
    numerator: 'herald_publish_batch_per_s',
    denominator: 'raw_add_bulk_per_s',
  },
  {
    key: 'ratio_http_ingest',
    label: 'HTTP ingest ÷ client publishBatch',
    numerator: 'herald_http_ingest_per_s',
    denominator: 'herald_publish_batch_per_s',
  },
  {
    key: 'ratio_scaleout',
    label: '2 worker processes ÷ 1 (same queue)',
    numerator: 'scaleout_2w_per_s',
    denominator: 'scaleout_1w_per_s',
  },
  {
    key: 'ratio_scaleout_cpu',
    label: 'CPU per delivery, 2 processes ÷ 1',
    numerator: 'scaleout_2w_cpu_us_per_delivery',
    denominator: 'scaleout_1w_cpu_us_per_delivery',
  },
  {
    key: 'ratio_pg_pipeline',
    label: 'Postgres-only pipeline ÷ Redis pipeline',
    numerator: 'pg_deliveries_per_s',
    denominator: 'herald_deliveries_per_s',
  },
  {
    key: 'ratio_p99',
    label: 'p99 at 500/s ÷ raw p99',
    numerator: 'p99_ms_at_500',
    denominator: 'raw_p99_ms_at_500',
  },
];

/** The targets; the table marks each ok or MISSED, --json lists them under `targets`. */
export const TARGETS: readonly TargetSpec[] = [
  { key: 'ratio_pipeline', bound: 'min', value: 0.6 },
  { key: 'p99_ms_at_500', bound: 'max', value: 25 },
  { key: 'ratio_publish_batch', bound: 'min', value: 0.8 },
  { key: 'worker_rss_mb', bound: 'max', value: 200 },
  { key: 'herald_committed_ok', bound: 'min', value: 1 },
  { key: 'herald_http_ingest_per_s', bound: 'min', value: 5000 },
  // Issue #7: on 2 cores the gain is limited; nothing lost or duplicated, CPU per delivery not growing.
  { key: 'scaleout_ok', bound: 'min', value: 1 },
  { key: 'ratio_scaleout_cpu', bound: 'max', value: 1.25 },
  // pnpm bench --soak
  { key: 'soak_ok', bound: 'min', value: 1 },
  { key: 'soak_kept_up', bound: 'min', value: 1 },
];
