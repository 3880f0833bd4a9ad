import type { OutputStream } from './output.js';

export interface ProgressBar {
  update(done: number, total: number): void;
  /** Ends the bar's line (only if one was drawn). */
  finish(): void;
}

const WIDTH = 30;
// Redrawing more often than this only costs terminal bandwidth.
const MIN_INTERVAL_MS = 100;

/** `[#########.....................] 300/1000` */
export function renderProgress(done: number, total: number, width = WIDTH): string {
  const ratio = total > 0 ? Math.min(Math.max(done / total, 0), 1) : 1;
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

/**
 * A one-line progress bar redrawn in place with `\r`, drawn only when the
 * stream is a terminal: piped or redirected output stays clean.
 */
export function createProgressBar(
  stream: OutputStream,
  label = '',
  now: () => number = Date.now,
): ProgressBar {
  if (!stream.isTTY) return { update() {}, finish() {} };
  let lastDrawnAt = -Infinity;
  let hasDrawn = false;
  const prefix = label ? `${label} ` : '';
  return {
    update(done, total) {
      const t = now();
      if (done < total && t - lastDrawnAt < MIN_INTERVAL_MS) return;
      lastDrawnAt = t;
      hasDrawn = true;
      stream.write(`\r${prefix}${renderProgress(done, total)}`);
    },
    finish() {
      if (hasDrawn) stream.write('\n');
      hasDrawn = false;
    },
  };
}
