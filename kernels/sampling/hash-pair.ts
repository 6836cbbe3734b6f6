// A 32-bit hash of two int32 keys (a node id and a group, or two node ids) for the open-addressing
// tables of the samplers: multiply-xorshift mixing, cheap and well spread over power-of-two masks.

export function hashPair(id: number, group: number): number {
  let h = Math.imul(id, 0x9e3779b1) ^ Math.imul(group + 0x7f4a7c15, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return h ^ (h >>> 13);
}
