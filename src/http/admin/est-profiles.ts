/**
 * `/admin/est/profiles`: JSON CRUD of EST profiles (the `{aps}` labels), each change one event. Mounted inside the
 * admin API's authenticated router. Password hashes never leave the server.
 */
import Router from '@koa/router';
import type { Core } from '../../core.js';
import { notFound } from '../../domain/errors.js';
import { profileView } from '../../app/est/profile-input.js';
import { EstProfileService } from '../../app/est/profile-service.js';
import { readJson } from '../middleware/body.js';
import { adminMetadata as metadata } from './auth.js';

export function estProfilesRouter(core: Core): Router {
  const service = new EstProfileService(core);
  const router = new Router({ prefix: '/est/profiles' });
  router.get('/', (ctx) => {
    ctx.body = service.profiles.list().map(profileView);
  });
  router.get('/:name', (ctx) => {
    const row = service.profiles.get(ctx.params.name);
    if (!row) throw notFound('unknown_profile', `EST profile ${ctx.params.name} not found`);
    ctx.body = profileView(row);
  });
  router.post('/', async (ctx) => {
    ctx.status = 201;
    ctx.body = profileView(await service.create(await readJson(ctx), metadata(ctx)));
  });
  router.put('/:name', async (ctx) => {
    ctx.body = profileView(await service.replace(ctx.params.name, await readJson(ctx), metadata(ctx)));
  });
  router.patch('/:name', async (ctx) => {
    ctx.body = profileView(await service.patch(ctx.params.name, await readJson(ctx), metadata(ctx)));
  });
  router.delete('/:name', async (ctx) => {
    await service.delete(ctx.params.name, metadata(ctx));
    ctx.status = 204;
  });
  return router;
}
