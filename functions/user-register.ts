import { publicHttpRoute } from '../shared/http/adapter.ts';
import { userRegister } from '../shared/routes.ts';
import { register } from '../shared/domain/users.ts';

export const handler = publicHttpRoute(userRegister, async ({ body, sourceIp }) => {
  const user = await register(body, sourceIp);
  return { status: 201, message: '注册成功！', user };
});
