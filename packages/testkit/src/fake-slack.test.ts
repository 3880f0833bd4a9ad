import { checkSlackMessage } from './fake-slack.js';

const header = (text: string) => ({ type: 'header', text: { type: 'plain_text', text } });

describe('checkSlackMessage (Slack incoming-webhook validation)', () => {
  test('text or blocks is accepted', () => {
    expect(checkSlackMessage({ text: 'hi' })).toBeNull();
    expect(checkSlackMessage({ blocks: [header('hi')] })).toBeNull();
  });

  test.each([
    ['a non-object', 'nope', 'invalid_payload'],
    ['an array', [], 'invalid_payload'],
    ['a non-string text', { text: 5 }, 'invalid_payload'],
    ['blocks not an array', { text: 'a', blocks: {} }, 'invalid_payload'],
    ['neither text nor blocks', {}, 'no_text'],
    ['blank text only', { text: '  ' }, 'no_text'],
    ['text over 40,000', { text: 'x'.repeat(40_001) }, 'msg_too_long'],
    ['51 blocks', { text: 'a', blocks: Array.from({ length: 51 }, () => header('h')) }, 'invalid_blocks'],
    ['a header over 150', { blocks: [header('h'.repeat(151))] }, 'invalid_blocks'],
    [
      'an mrkdwn header',
      { blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }] },
      'invalid_blocks',
    ],
    ['an empty text object', { blocks: [header('')] }, 'invalid_blocks'],
    [
      '11 section fields',
      {
        blocks: [
          { type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })) },
        ],
      },
      'invalid_blocks',
    ],
    [
      'a field over 2,000',
      { blocks: [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'f'.repeat(2_001) }] }] },
      'invalid_blocks',
    ],
    [
      'section text over 3,000',
      { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3_001) } }] },
      'invalid_blocks',
    ],
    ['an empty section', { blocks: [{ type: 'section' }] }, 'invalid_blocks'],
    [
      'emoji on mrkdwn',
      { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 's', emoji: true } }] },
      'invalid_blocks',
    ],
    [
      '11 context elements',
      { blocks: [{ type: 'context', elements: Array(11).fill({ type: 'mrkdwn', text: 'c' }) }] },
      'invalid_blocks',
    ],
    ['an unknown block', { blocks: [{ type: 'video' }] }, 'invalid_blocks'],
  ])('%s → %s', (_what, message, error) => {
    expect(checkSlackMessage(message)).toBe(error);
  });
});
