// Reads a text file in large chunks and hands out blocks of whole lines as byte ranges, so parsers scan
// bytes directly (no string per line). Also the byte-level number parsers those scanners share.
import { fstatSync, readSync } from 'node:fs';
import { withInputFile } from './input-file.js';

const NL = 0x0a;

/**
 * Calls `onBlock(buf, start, end)` for consecutive blocks of whole lines (each ends with '\n', except
 * possibly the file's last line). `onBlock` must not keep `buf`: it is reused.
 */
export function forEachLineBlock(
  file: string,
  field: string,
  onBlock: (buf: Uint8Array, start: number, end: number) => void,
  onProgress?: (bytesDone: number, bytesTotal: number) => void,
  chunkBytes = 8 << 20,
): void {
  withInputFile(file, field, (fd) => {
    const total = fstatSync(fd).size;
    let buf = new Uint8Array(chunkBytes);
    let carry = 0; // bytes of an unfinished line at the front of buf
    let readTotal = 0;
    while (true) {
      if (carry === buf.length) {
        // A line longer than the buffer: grow it.
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      const got = readSync(fd, buf, carry, buf.length - carry, null);
      readTotal += got;
      const filled = carry + got;
      if (got === 0) {
        if (carry > 0) onBlock(buf, 0, carry);
        break;
      }
      let lastNl = filled - 1;
      while (lastNl >= carry && buf[lastNl] !== NL) lastNl--;
      if (lastNl < carry) {
        // No newline in the new bytes; keep reading (grow if needed).
        carry = filled;
        continue;
      }
      onBlock(buf, 0, lastNl + 1);
      carry = filled - (lastNl + 1);
      buf.copyWithin(0, lastNl + 1, filled);
      onProgress?.(readTotal, total);
    }
    onProgress?.(total, total);
  });
}

const CR = 0x0d;

/**
 * Calls `onLine(buf, start, end, lineNo)` for every line of the file, numbered from 1, with the
 * '\n' and a CRLF's '\r' left out. Like forEachLineBlock, `onLine` must not keep `buf`.
 */
export function forEachLine(
  file: string,
  field: string,
  onLine: (buf: Uint8Array, start: number, end: number, lineNo: number) => void,
  onProgress?: (bytesDone: number, bytesTotal: number) => void,
): void {
  let lineNo = 0;
  forEachLineBlock(
    file,
    field,
    (buf, start, end) => {
      let i = start;
      while (i < end) {
        let e = i;
        while (e < end && buf[e] !== NL) e++;
        const next = e + 1;
        if (e > i && buf[e - 1] === CR) e--;
        onLine(buf, i, e, ++lineNo);
        i = next;
      }
    },
    onProgress,
  );
}

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
  1e18, 1e19, 1e20, 1e21, 1e22,
];

const latin1 = new TextDecoder('latin1');

/** The text of a byte range (for error messages and the slow number path). */
export function bytesText(buf: Uint8Array, start: number, end: number): string {
  return latin1.decode(buf.subarray(start, end));
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

/**
 * Parses a decimal number in buf[start, end), surrounding blanks allowed. Returns NaN when the text is
 * not a number. Plain decimals with at most 15 significant digits take an exact fast path (correctly
 * rounded, like Number()); anything else falls back to Number() on the text.
 */
export function parseNumberBytes(buf: Uint8Array, start: number, end: number): number {
  while (start < end && isSpace(buf[start])) start++;
  while (end > start && isSpace(buf[end - 1])) end--;
  if (start === end) return NaN;
  let i = start;
  let neg = false;
  if (buf[i] === 0x2d || buf[i] === 0x2b) {
    neg = buf[i] === 0x2d;
    i++;
  }
  let mant = 0;
  let digits = 0;
  let sawDigit = false;
  // Digits before and after one decimal point, as one mantissa; the point's place gives the scale.
  let pointAt = -1;
  for (; i < end; i++) {
    const c = buf[i];
    if (c === 0x2e && pointAt < 0) {
      pointAt = i;
      continue;
    }
    const d = c - 0x30;
    if (d < 0 || d > 9) break;
    sawDigit = true;
    if (mant !== 0 || d !== 0) digits++;
    mant = mant * 10 + d;
  }
  const frac = pointAt < 0 ? 0 : i - pointAt - 1;
  if (i === end && sawDigit && digits <= 15 && frac <= 22) {
    const v = frac === 0 ? mant : mant / POW10[frac];
    return neg ? -v : v;
  }
  const text = bytesText(buf, start, end);
  // Number() accepts forms we do not want as data ("", "0x1f", "Infinity"); allow only decimal syntax.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return NaN;
  return Number(text);
}

/**
 * Parses a node id (non-negative decimal integer below 2^32 - 1) in buf[start, end), blanks allowed.
 * Returns the id, -1 when not an integer, -2 when negative, -3 when too large.
 */
export function parseIdBytes(buf: Uint8Array, start: number, end: number): number {
  while (start < end && isSpace(buf[start])) start++;
  while (end > start && isSpace(buf[end - 1])) end--;
  if (start === end) return -1;
  if (buf[start] === 0x2d) {
    const v = parseNumberBytes(buf, start, end);
    return Number.isNaN(v) ? -1 : -2;
  }
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v >= 0xffffffff ? -3 : v;
}
