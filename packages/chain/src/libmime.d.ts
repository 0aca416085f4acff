// libmime ships no types; only the function this package uses.
declare module 'libmime' {
  const libmime: {
    /** Decode RFC 2047 encoded-words in a header value. */
    decodeWords(value: string): string;
  };
  export default libmime;
}
