import { describe, expect, it } from 'vitest';
import { sniffImageType } from '../../shared/image-types.ts';
import { makePng } from '../support/images.ts';

const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));

describe('sniffImageType', () => {
  it('recognises each accepted type by its leading bytes', () => {
    expect(sniffImageType(makePng())).toBe('image/png');
    expect(sniffImageType(bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF'))).toBe('image/jpeg');
    expect(sniffImageType(bytes('GIF89a', [1, 0, 1, 0]))).toBe('image/gif');
    expect(sniffImageType(bytes('GIF87a', [1, 0, 1, 0]))).toBe('image/gif');
    expect(sniffImageType(bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '))).toBe('image/webp');
  });

  it('rejects text, other formats, near misses and truncated headers', () => {
    expect(sniffImageType(Buffer.from('hello, this is not a picture\n'))).toBeUndefined();
    expect(sniffImageType(bytes('%PDF-1.7'))).toBeUndefined();
    expect(sniffImageType(bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '))).toBeUndefined(); // a RIFF that is audio
    expect(sniffImageType(bytes('GIF88a'))).toBeUndefined();
    expect(sniffImageType(makePng().subarray(0, 7))).toBeUndefined();
    expect(sniffImageType(new Uint8Array(0))).toBeUndefined();
  });
});
