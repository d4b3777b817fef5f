import { publicHttpRoute } from '../shared/http/adapter.ts';
import { userLogin } from '../shared/routes.ts';
import { login } from '../shared/domain/users.ts';

export const handler = publicHttpRoute(userLogin, async ({ body, sourceIp }) => {
  const { token, user } = await login(body.username, body.password, sourceIp);
  return { message: '登录成功', token, user };
});
