import bcrypt from 'bcryptjs';
import { config } from '../config.ts';

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, config.bcryptCost);
}

export function checkPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

/** Compared against when the username does not exist, so a login takes as long either way (no user enumeration). */
let dummyHash: Promise<string> | undefined;
export function burnPasswordCheck(password: string): Promise<boolean> {
  dummyHash ??= bcrypt.hash('not-a-real-password', config.bcryptCost);
  return dummyHash.then((hash) => bcrypt.compare(password, hash));
}
