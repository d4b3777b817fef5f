import { httpRoute } from '../shared/http/adapter.ts';
import { contactsAdd } from '../shared/routes.ts';
import { addContact } from '../shared/domain/contacts.ts';

export const handler = httpRoute(contactsAdd, async ({ userId, body }) => {
  return { message: '添加联系人成功', contact: await addContact(userId, body.id) };
});
