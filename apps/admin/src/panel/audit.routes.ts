import type { Router } from 'express';
import { ValidationError, isId } from '@herald/core';
import { listAdminUsers, listAuditActions, listAuditLog, listApps } from '@herald/engine';
import { renderPanel, type PanelContext } from './context.js';
import { isInvalid, searchParam, withQuery } from './query.js';

export const AUDIT_PAGE_SIZE = 50;
const ACTION = /^[a-z_]+(\.[a-z_]+)+$/;

export function registerAuditRoutes(router: Router, ctx: PanelContext): void {
  const { engine } = ctx;

  router.get('/audit', async (req, res) => {
    const rawAction = searchParam(req, 'action', 100);
    const rawAdmin = searchParam(req, 'admin', 64);
    const rawCursor = searchParam(req, 'cursor', 64);
    const form = {
      action: isInvalid(rawAction) ? '' : rawAction,
      admin: isInvalid(rawAdmin) ? '' : rawAdmin,
    };
    let error: string | undefined;
    if (isInvalid(rawAction) || (form.action !== '' && !ACTION.test(form.action))) {
      error = 'Action: choose one from the list.';
    } else if (isInvalid(rawAdmin) || (form.admin !== '' && !isId('admin', form.admin))) {
      error = 'Admin: choose one from the list.';
    } else if (isInvalid(rawCursor) || (rawCursor !== '' && !isId('audit', rawCursor))) {
      error = 'That page link is not valid; start from the newest.';
    }
    const cursor = !error && !isInvalid(rawCursor) && rawCursor !== '' ? rawCursor : undefined;
    let page: Awaited<ReturnType<typeof listAuditLog>> = { data: [], nextCursor: null };
    if (!error) {
      try {
        page = await listAuditLog(engine.db, {
          limit: AUDIT_PAGE_SIZE,
          ...(form.action ? { action: form.action } : {}),
          ...(form.admin ? { actorId: form.admin } : {}),
          ...(cursor ? { cursor } : {}),
        });
      } catch (e) {
        if (!(e instanceof ValidationError)) throw e;
        error = 'That search is not valid.';
      }
    }
    const [actions, admins, apps] = await Promise.all([
      listAuditActions(engine.db),
      listAdminUsers(engine.db),
      listApps(engine.db),
    ]);
    res.status(error ? 400 : 200);
    await renderPanel(ctx, req, res, 'audit/index', {
      section: 'audit',
      title: 'Audit log',
      searchError: error,
      search: form,
      entries: page.data,
      actions,
      admins,
      appNames: new Map(apps.map((a) => [a.id, a.name])),
      isFirstPage: cursor === undefined,
      firstPageHref: withQuery('/audit', form),
      nextPageHref: page.nextCursor ? withQuery('/audit', { ...form, cursor: page.nextCursor }) : null,
    });
  });
}
