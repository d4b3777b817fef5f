import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { db, TABLE } from './client.ts';
import { batchGet, ifCondition, queryPrefix } from './operations.ts';
import type { Key } from './table.ts';

/** A contact, with the contact's username and nickname copied in so the list is one Query (they never change). */
export type ContactRecord = { ownerId: number; contactId: number; username: string; nickname: string; createdAt: string };

export const contactKey = (ownerId: number, contactId: number): Key => ({ PK: `USER#${ownerId}`, SK: `CONTACT#${contactId}` });

/** False when the contact was already there. */
export async function putContact(contact: ContactRecord): Promise<boolean> {
  const put = db.send(new PutCommand({
    TableName: TABLE,
    Item: { ...contactKey(contact.ownerId, contact.contactId), ...contact },
    ConditionExpression: 'attribute_not_exists(PK)',
  }));
  return (await ifCondition(put)) !== undefined;
}

/** False when there was no such contact. */
export async function deleteContact(ownerId: number, contactId: number): Promise<boolean> {
  const { Attributes } = await db.send(new DeleteCommand({ TableName: TABLE, Key: contactKey(ownerId, contactId), ReturnValues: 'ALL_OLD' }));
  return Attributes !== undefined;
}

export async function listContacts(ownerId: number): Promise<ContactRecord[]> {
  return (await queryPrefix(`USER#${ownerId}`, 'CONTACT#')) as ContactRecord[];
}

/** Whether `ownerId` has added `contactId` to their list (contacts are one-directional). */
export async function isContact(ownerId: number, contactId: number): Promise<boolean> {
  const { Item } = await db.send(new GetCommand({ TableName: TABLE, Key: contactKey(ownerId, contactId), ProjectionExpression: 'PK' }));
  return Item !== undefined;
}

/** Which of these users have `contactId` on their contact list: one BatchGet wave of the contact items. */
export async function whoHaveContact(ownerIds: readonly number[], contactId: number): Promise<Set<number>> {
  const items = await batchGet(ownerIds.map((ownerId) => contactKey(ownerId, contactId)), 'ownerId');
  return new Set(items.map((item) => item.ownerId as number));
}
