import type { Request, Router } from 'express';
import { EVENT_CATALOG_TYPES, ValidationError } from '@herald/core';
import {
  countHeldDeliveries,
  findAdminByEmail,
  getWebhook,
  getWebhookActivity,
  recordAudit,
  revealWebhookSecret,
  rotateWebhookSecret,
  setWebhookState,
  updateWebhook,
  verifyPassword,
  type Webhook,
} from '@herald/engine';
import { buildActivityChart } from './activity-chart.js';
import {
  actorOf,
  appFromPath,
  currentAdmin,
  describeValidation,
  field,
  redirectAfterSave,
  renderPanel,
  setFlash,
  type PanelContext,
} from './context.js';
import { webhookIdFromPath } from './deliveries.routes.js';
import { formatDateTime } from './format.js';
import { maskWebhookUrl } from './mask-url.js';

export const FORMATS = [
  { value: 'standard', label: 'Standard Webhooks (JSON)' },
  { value: 'discord', label: 'Discord' },
  { value: 'telegram', label: 'Telegram' },
  { value: 'slack', label: 'Slack' },
] as const;

const MAX_GRACE_HOURS = 720;

export function webhookPath(appId: string, webhookId: string): string {
  return `/apps/${appId}/webhooks/${webhookId}`;
}

/** Every value of a repeated form field (checkboxes). */
function fields(req: Request, name: string): string[] {
  const body: unknown = req.body;
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** `Name: value` per line; blank lines skipped. A line without a colon is reported by number. */
export function parseHeaderLines(text: string): HeaderParse {
  const headers: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: `Custom headers: line ${index + 1} must look like Name: value` };
    const name = line.slice(0, colon).trim();
    if (Object.hasOwn(headers, name)) return { error: `Custom headers: ${name} appears twice` };
    headers[name] = line.slice(colon + 1).trim();
  }
  return { headers };
}

/** Parsed headers, or why not (kept apart: a header may well be named "error"). */
export type HeaderParse = { headers: Record<string, string> } | { error: string };

/** What a credential-looking header's value shows as; sent back unchanged, it keeps the stored value. */
export const HEADER_VALUE_MASK = '••••••';

/** Header names whose values are credentials (Authorization, X-Api-Key, X-Auth-Token, Cookie…). */
export function isSensitiveHeader(name: string): boolean {
  return /auth|token|secret|pass|key|cookie|signature|credential|session/i.test(name);
}

/** The form's text: one line per header, credential-looking values masked. */
function headerLines(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => `${name}: ${isSensitiveHeader(name) ? HEADER_VALUE_MASK : value}`)
    .join('\n');
}

/**
 * Puts back the stored value of each header sent with the mask as its value
 * (left as shown); a masked value with nothing stored under that name is an error.
 */
export function unmaskHeaders(
  submitted: Record<string, string>,
  stored: Record<string, string>,
): HeaderParse {
  const storedByName = new Map(Object.entries(stored).map(([name, value]) => [name.toLowerCase(), value]));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(submitted)) {
    if (value !== HEADER_VALUE_MASK) {
      out[name] = value;
      continue;
    }
    const kept = storedByName.get(name.toLowerCase());
    if (kept === undefined)
      return { error: `Custom headers: type the value of ${name} (only saved values are masked)` };
    out[name] = kept;
  }
  return { headers: out };
}

export function registerWebhookDetailRoutes(router: Router, ctx: PanelContext): void {
  const { engine, loginRateLimit } = ctx;

  router.get('/apps/:appId/webhooks/:webhookId', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const webhook = await getWebhook(engine, app.id, webhookIdFromPath(req));
    const [held, activity] = await Promise.all([
      countHeldDeliveries(engine, app.id, webhook.id),
      getWebhookActivity(engine, app.id, webhook.id),
    ]);
    const catalog = new Set<string>(EVENT_CATALOG_TYPES);
    const previousSecretValid =
      webhook.previousSecretExpiresAt !== null && webhook.previousSecretExpiresAt.getTime() > Date.now();
    await renderPanel(ctx, req, res, 'webhooks/show', {
      section: 'webhooks',
      title: 'Webhook',
      currentApp: app,
      webhook,
      held,
      chart: buildActivityChart(activity),
      catalog: EVENT_CATALOG_TYPES,
      formats: FORMATS,
      // What the form shows when no failed submission is being redisplayed.
      current: {
        description: webhook.description,
        events: webhook.events.filter((e) => catalog.has(e)),
        wildcards: webhook.events.filter((e) => !catalog.has(e)).join(', '),
        format: webhook.format,
        headers: headerLines(webhook.headers),
        rateLimit: webhook.rateLimitPerSecond === null ? '' : String(webhook.rateLimitPerSecond),
        userAgent: webhook.userAgent ?? '',
      },
      previousSecretUntil: previousSecretValid ? webhook.previousSecretExpiresAt : null,
    });
  });

  router.post('/apps/:appId/webhooks/:webhookId', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const webhookId = webhookIdFromPath(req);
    const back = webhookPath(app.id, webhookId);
    const stored = await getWebhook(engine, app.id, webhookId);
    const form = {
      description: field(req, 'description'),
      events: fields(req, 'events').join(','),
      wildcards: field(req, 'wildcards'),
      format: field(req, 'format'),
      headers: field(req, 'headers'),
      rateLimit: field(req, 'rateLimit').trim(),
      userAgent: field(req, 'userAgent'),
    };
    const fail = async (message: string): Promise<void> => {
      setFlash(req, { type: 'error', message, form });
      await redirectAfterSave(req, res, back);
    };
    const parsed = parseHeaderLines(form.headers);
    if ('error' in parsed) return fail(parsed.error);
    const unmasked = unmaskHeaders(parsed.headers, stored.headers);
    if ('error' in unmasked) return fail(unmasked.error);
    const { headers } = unmasked;
    const events = [
      ...fields(req, 'events'),
      ...form.wildcards
        .split(/[\s,]+/)
        .map((e) => e.trim())
        .filter((e) => e !== ''),
    ];
    if (form.rateLimit !== '' && !/^\d+$/.test(form.rateLimit)) {
      return fail('Rate limit: must be a whole number of deliveries per second, or empty for no limit');
    }
    try {
      const { warnings } = await updateWebhook(engine, actorOf(req, currentAdmin(res)), app.id, webhookId, {
        description: form.description,
        events,
        format: form.format,
        headers,
        rateLimitPerSecond: form.rateLimit === '' ? null : Number(form.rateLimit),
        userAgent: form.userAgent.trim() === '' ? null : form.userAgent,
      });
      const note = warnings.length > 0 ? ` Note: ${warnings.join('; ')}.` : '';
      setFlash(req, { type: 'success', message: `Webhook saved.${note}` });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return fail(describeValidation(error));
    }
    await redirectAfterSave(req, res, back);
  });

  router.post('/apps/:appId/webhooks/:webhookId/state', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const webhookId = webhookIdFromPath(req);
    const back = webhookPath(app.id, webhookId);
    const before: Webhook = await getWebhook(engine, app.id, webhookId);
    const state = field(req, 'state');
    if (state !== 'enabled' && state !== 'paused' && state !== 'disabled') {
      setFlash(req, { type: 'error', message: 'State: must be enabled, paused or disabled' });
      return redirectAfterSave(req, res, back);
    }
    const { released } = await setWebhookState(
      engine,
      actorOf(req, currentAdmin(res)),
      app.id,
      webhookId,
      state,
    );
    const releasedNote = `released ${released} held ${released === 1 ? 'delivery' : 'deliveries'}`;
    const message = {
      enabled:
        before.state === 'paused' ? `Webhook resumed; ${releasedNote}.` : `Webhook enabled; ${releasedNote}.`,
      paused: 'Webhook paused. New deliveries are held until you resume it.',
      disabled: 'Webhook disabled. New deliveries are held until you enable it.',
    }[state];
    setFlash(req, { type: 'success', message });
    await redirectAfterSave(req, res, back);
  });

  router.post('/apps/:appId/webhooks/:webhookId/rotate-secret', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const webhookId = webhookIdFromPath(req);
    const back = webhookPath(app.id, webhookId);
    await getWebhook(engine, app.id, webhookId);
    const hoursText = field(req, 'graceHours').trim();
    const hours = Number(hoursText);
    if (!/^\d+$/.test(hoursText) || hours > MAX_GRACE_HOURS) {
      setFlash(req, {
        type: 'error',
        message: `Grace period: must be a whole number of hours from 0 to ${MAX_GRACE_HOURS}`,
      });
      return redirectAfterSave(req, res, back);
    }
    const { webhook, secret } = await rotateWebhookSecret(
      engine,
      actorOf(req, currentAdmin(res)),
      app.id,
      webhookId,
      { graceSeconds: hours * 3600 },
    );
    setFlash(req, {
      type: 'success',
      message: webhook.previousSecretExpiresAt
        ? `Secret rotated. The previous secret stays valid until ${formatDateTime(webhook.previousSecretExpiresAt)}.`
        : 'Secret rotated. The previous secret no longer signs anything.',
      revealCiphertext: engine.keyring.encrypt(secret),
      revealLabel: `New signing secret for ${maskWebhookUrl(webhook.url)}`,
    });
    await redirectAfterSave(req, res, back);
  });

  router.post('/apps/:appId/webhooks/:webhookId/reveal-secret', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const webhookId = webhookIdFromPath(req);
    const back = webhookPath(app.id, webhookId);
    const webhook = await getWebhook(engine, app.id, webhookId);
    const admin = currentAdmin(res);
    // The password asked again is a password guess like any other (a stolen
    // session must not get unlimited tries): same throttle as the login form.
    const ip = req.ip ?? 'unknown';
    const verdict = await loginRateLimit.countAttempt(ip, admin.email);
    if (!verdict.allowed) {
      res.set('Retry-After', String(verdict.retryAfterSeconds));
      setFlash(req, {
        type: 'error',
        message: 'Too many attempts. Try again later. The secret was not shown.',
      });
      return redirectAfterSave(req, res, back);
    }
    const password = field(req, 'password');
    const found = await findAdminByEmail(engine.db, admin.email);
    const ok =
      found !== undefined &&
      password !== '' &&
      [...password].length <= 1024 &&
      (await verifyPassword(found.passwordHash, password));
    if (!ok) {
      await recordAudit(engine.db, actorOf(req, admin), {
        action: 'webhook.reveal_secret_refused',
        appId: app.id,
        targetType: 'webhook',
        targetId: webhookId,
      });
      setFlash(req, { type: 'error', message: 'Password: incorrect. The secret was not shown.' });
      return redirectAfterSave(req, res, back);
    }
    await loginRateLimit.clear(ip, admin.email);
    const secret = await revealWebhookSecret(engine, actorOf(req, admin), app.id, webhookId);
    setFlash(req, {
      type: 'success',
      message: 'Secret revealed. This view was recorded in the audit log.',
      revealCiphertext: engine.keyring.encrypt(secret),
      revealLabel: `Signing secret for ${maskWebhookUrl(webhook.url)}`,
    });
    await redirectAfterSave(req, res, back);
  });
}
