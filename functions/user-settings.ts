import { httpRoute } from '../shared/http/adapter.ts';
import { HTTP } from '../shared/routes.ts';
import { updateSettings } from '../shared/domain/users.ts';

export const handler = httpRoute(HTTP.userSettings, async ({ userId, body }) => {
  return { message: '设置成功', settings: await updateSettings(userId, body) };
});
