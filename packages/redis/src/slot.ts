/**
 * The Redis Cluster hash slot of `key`, as the server computes it: CRC16 (XMODEM) of the hash tag
 * (the text between the first `{` and the first `}` after it, when not empty) or else of the
 * whole key, modulo 16384. Keys are hashed as their UTF-8 bytes.
 */
export function hashSlot(key: string): number {
  let bytes = Buffer.from(key, "utf8");
  const open = bytes.indexOf(0x7b); // {
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1); // }
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc & 16383;
}
