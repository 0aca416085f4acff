/**
 * The largest RFC 5322 header section any way in accepts: the gateway's default
 * (`KOUKAN_SMTP_MAX_HEADER_BYTES`, `552 5.3.4` at SMTP), the router's uploads and creates
 * (`413`) and the console's dry run. It bounds what the parsing filters read, and with it the
 * number of header lines (a line takes at least two bytes).
 */
export const MAX_HEADER_BYTES = 256 * 1024;

/**
 * Follows a message's bytes in order, chunk by chunk, in constant memory: answers false once the
 * header section (up to the empty line) is over `max` bytes, true otherwise.
 */
export function headerSectionLimit(max = MAX_HEADER_BYTES): (chunk: Uint8Array) => boolean {
  let size = 0;
  let lineLength = 0;
  let ended = false;
  return (chunk) => {
    for (let i = 0; i < chunk.length && !ended; i++) {
      const b = chunk[i];
      if (b === 0x0a) {
        ended = lineLength === 0;
        lineLength = 0;
      } else if (b !== 0x0d) lineLength++;
      if (++size > max) return false;
    }
    return true;
  };
}
