import type { Router } from 'express';
import { NotFoundError, ValidationError, isId } from '@herald/core';
import { createApiKey, listApiKeys, revokeApiKey } from '@herald/engine';
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

export function apiKeysPath(appId: string): string {
  return `/apps/${appId}/api-keys`;
}

export function registerApiKeyRoutes(router: Router, ctx: PanelContext): void {
  const { engine } = ctx;

  router.get('/apps/:appId/api-keys', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const keys = await listApiKeys(engine.db, app.id);
    await renderPanel(ctx, req, res, 'api-keys/index', {
      section: 'api-keys',
      title: 'API keys',
      currentApp: app,
      // Live keys first, newest first within each group.
      keys: [...keys].sort(
        (a, b) =>
          Number(a.revokedAt !== null) - Number(b.revokedAt !== null) ||
          b.createdAt.getTime() - a.createdAt.getTime(),
      ),
    });
  });

  router.post('/apps/:appId/api-keys', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const name = field(req, 'name').trim();
    const scope = field(req, 'scope') || 'full';
    try {
      const key = await createApiKey(engine.db, actorOf(req, currentAdmin(res)), {
        appId: app.id,
        name,
        scope,
      });
      setFlash(req, {
        type: 'success',
        message: 'API key created. Copy it now: it is not shown again.',
        revealCiphertext: engine.keyring.encrypt(key.key),
        revealLabel: `API key ${key.prefix}…${key.name ? ` (${key.name})` : ''}`,
      });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      setFlash(req, { type: 'error', message: describeValidation(error), form: { name } });
    }
    await redirectAfterSave(req, res, apiKeysPath(app.id));
  });

  router.post('/apps/:appId/api-keys/:keyId/revoke', async (req, res) => {
    const app = await appFromPath(ctx, req);
    const keyId = req.params['keyId'];
    if (!isId('apiKey', keyId)) throw new NotFoundError('api key', String(keyId));
    await revokeApiKey(engine.db, actorOf(req, currentAdmin(res)), app.id, keyId);
    setFlash(req, { type: 'success', message: 'API key revoked. Requests using it now get 401.' });
    await redirectAfterSave(req, res, apiKeysPath(app.id));
  });
}
