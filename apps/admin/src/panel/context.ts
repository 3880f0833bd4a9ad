import type { Request, Response } from 'express';
import { NotFoundError, isId, type ValidationError } from '@herald/core';
import { getApp, listApps, type Actor, type App, type Engine } from '@herald/engine';
import type { Logger } from '@herald/logger';
import type { AdminSettings } from '../settings.js';
import type { CurrentAdmin } from './admin-state.repository.js';
import { csrfTokenFor } from './csrf.js';
import { formatDate, formatDateTime } from './format.js';
import type { LoginRateLimit } from './login-rate-limit.js';
import { maskWebhookUrl } from './mask-url.js';
import type { Flash } from './session.js';
import type { PostgresSessionStore } from './session-store.js';

export interface PanelContext {
  engine: Engine;
  settings: AdminSettings;
  log: Logger;
  store: PostgresSessionStore;
  loginRateLimit: LoginRateLimit;
}

/** The signed-in admin, put on `res.locals` by `requireAdmin`. */
export function currentAdmin(res: Response): CurrentAdmin {
  const admin = (res.locals as { admin?: CurrentAdmin }).admin;
  if (!admin) throw new Error('currentAdmin used on a route without requireAdmin');
  return admin;
}

export function actorOf(req: Request, admin: CurrentAdmin): Actor {
  return {
    type: 'admin',
    id: admin.id,
    label: admin.email,
    ip: req.ip ?? null,
    userAgent: req.get('user-agent') ?? null,
  };
}

/** The app named in the path; an unknown or malformed id is a 404. */
export async function appFromPath(ctx: PanelContext, req: Request): Promise<App> {
  const appId = req.params['appId'];
  if (!isId('app', appId)) throw new NotFoundError('app', String(appId));
  return getApp(ctx.engine.db, appId);
}

/** A form field as a string ('' when missing or not a string). */
export function field(req: Request, name: string): string {
  const body: unknown = req.body;
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : '';
}

export function setFlash(req: Request, flash: Flash): void {
  req.session.flash = flash;
}

const FIELD_LABELS: Record<string, string> = {
  url: 'Endpoint URL',
  userAgent: 'User Agent',
  name: 'Name',
  scope: 'Scope',
  description: 'Description',
  events: 'Event types',
  format: 'Format',
  headers: 'Custom headers',
  rateLimitPerSecond: 'Rate limit',
  graceSeconds: 'Grace period',
  since: 'Since',
  until: 'Until',
  status: 'Status',
  deliveryId: 'Delivery',
  email: 'Email',
  password: 'Password',
};

/** One readable sentence from the engine's field issues. */
export function describeValidation(error: ValidationError): string {
  if (error.issues.length === 0) return error.message;
  return error.issues.map((i) => `${FIELD_LABELS[i.field] ?? i.field}: ${i.message}`).join(' · ');
}

interface Reveal {
  label: string;
  value: string;
}

/**
 * Renders a page of the signed-in panel: the layout needs the admin, the
 * apps (switcher), the CSRF token and the flash, which is consumed here.
 */
export async function renderPanel(
  ctx: PanelContext,
  req: Request,
  res: Response,
  view: string,
  locals: { currentApp?: App; section: string; title: string } & Record<string, unknown>,
): Promise<void> {
  const flash = req.session.flash;
  delete req.session.flash;
  let reveal: Reveal | undefined;
  if (flash?.revealCiphertext) {
    reveal = {
      label: flash.revealLabel ?? 'Secret',
      value: ctx.engine.keyring.decrypt(flash.revealCiphertext),
    };
  }
  const apps = await listApps(ctx.engine.db);
  res.render(view, {
    ...locals,
    admin: currentAdmin(res),
    apps,
    csrfToken: csrfTokenFor(req),
    flash: flash ? { type: flash.type, message: flash.message, link: flash.link } : undefined,
    form: flash?.form ?? {},
    // Shown again inside the reopened form: the modal's backdrop covers the toast.
    formError: flash?.form && flash.type === 'error' ? flash.message : undefined,
    reveal,
    helpers: { formatDate, formatDateTime, maskWebhookUrl },
  });
}

/**
 * Redirects after writing the session. express-session would save it while
 * the response ends, but a browser follows a 303 as soon as the headers
 * arrive: the next request could read the session before the flash or the
 * login landed.
 */
export async function redirectAfterSave(req: Request, res: Response, path: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    req.session.save((error?: Error) => (error ? reject(error) : resolve()));
  });
  res.redirect(303, path);
}
