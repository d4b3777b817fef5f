import { NotFoundError, ValidationError } from '../errors.ts';
import { deleteBlock, putBlock } from '../data/blocks.ts';
import { requireUser } from './users.ts';

/** Idempotent: blocking someone already blocked succeeds (created: false). */
export async function blockUser(blockerId: number, blockedId: number): Promise<{ created: boolean }> {
  if (blockedId === blockerId) throw new ValidationError('不能屏蔽自己', 'bannerId');
  await requireUser(blockedId);
  return { created: await putBlock(blockerId, blockedId, new Date().toISOString()) };
}

export async function unblockUser(blockerId: number, blockedId: number): Promise<void> {
  if (!(await deleteBlock(blockerId, blockedId))) throw new NotFoundError('未屏蔽该用户');
}
