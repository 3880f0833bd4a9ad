import type { Router } from 'express';
import { ValidationError, isId } from '@herald/core';
import { createApp, listApps, recordAudit } from '@herald/engine';
import { setLastApp } from './admin-state.repository.js';
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

export function webhooksPath(appId: string): string {
  return `/apps/${appId}/webhooks`;
}

export function registerAppRoutes(router: Router, ctx: PanelContext): void {
  const { engine } = ctx;

  // The last-used app, else the oldest; with no app at all, the page that creates one.
  router.get('/', async (_req, res) => {
    const admin = currentAdmin(res);
    const apps = await listApps(engine.db);
    const app = apps.find((a) => a.id === admin.lastAppId) ?? apps[0];
    res.redirect(303, app ? webhooksPath(app.id) : '/apps');
  });

  router.get('/apps', async (req, res) => {
    await renderPanel(ctx, req, res, 'apps/index', { section: 'apps', title: 'Apps' });
  });

  router.post('/apps', async (req, res) => {
    const admin = currentAdmin(res);
    try {
      const app = await createApp(engine.db, actorOf(req, admin), { name: field(req, 'name') });
      await setLastApp(engine.db, admin.id, app.id);
      setFlash(req, { type: 'success', message: `App "${app.name}" created.` });
      await redirectAfterSave(req, res, webhooksPath(app.id));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      setFlash(req, {
        type: 'error',
        message: describeValidation(error),
        form: { name: field(req, 'name') },
      });
      await redirectAfterSave(req, res, '/apps');
    }
  });

  // The app switcher: a POST, because it changes which app the next login opens.
  router.post('/apps/switch', async (req, res) => {
    const admin = currentAdmin(res);
    const appId = field(req, 'appId');
    const app = isId('app', appId) ? (await listApps(engine.db)).find((a) => a.id === appId) : undefined;
    if (!app) {
      setFlash(req, { type: 'error', message: 'That app does not exist.' });
      return redirectAfterSave(req, res, '/apps');
    }
    await setLastApp(engine.db, admin.id, app.id);
    await recordAudit(engine.db, actorOf(req, admin), {
      action: 'app.switch',
      appId: app.id,
      targetType: 'app',
      targetId: app.id,
    });
    res.redirect(303, webhooksPath(app.id));
  });

  router.get('/apps/:appId', async (req, res) => {
    const app = await appFromPath(ctx, req);
    res.redirect(303, webhooksPath(app.id));
  });
}
