import { createProgressBar, renderProgress } from './progress.js';

function stream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, write: (chunk: string) => chunks.push(chunk) > 0 };
}

describe('progress bar', () => {
  test('when half done, half the bar is filled and the counts are shown', () => {
    expect(renderProgress(500, 1000, 10)).toBe('[#####.....] 500/1000');
    expect(renderProgress(0, 0, 4)).toBe('[####] 0/0');
  });

  test('when stderr is not a terminal, nothing is drawn', () => {
    const s = stream(false);
    const bar = createProgressBar(s);
    bar.update(1, 2);
    bar.update(2, 2);
    bar.finish();
    expect(s.chunks).toEqual([]);
  });

  test('when stderr is a terminal, the bar is redrawn in place, throttled, and the line is ended', () => {
    const s = stream(true);
    let now = 0;
    const bar = createProgressBar(s, 'publishing', () => now);
    bar.update(0, 3);
    now = 10;
    bar.update(1, 3); // too soon: skipped
    now = 20;
    bar.update(3, 3); // the last update is always drawn
    bar.finish();
    expect(s.chunks).toEqual([
      `\rpublishing ${renderProgress(0, 3)}`,
      `\rpublishing ${renderProgress(3, 3)}`,
      '\n',
    ]);
  });
});
