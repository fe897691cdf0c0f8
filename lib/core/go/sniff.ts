// Go's http.DetectContentType reads at most this many bytes.
const SNIFF_LENGTH = 512;

// net/http's HTML signatures: matched case-insensitively after leading whitespace, and each must be followed by a
// space or `>`.
const HTML_SIGNATURES = [
  '<!DOCTYPE HTML',
  '<HTML',
  '<HEAD',
  '<SCRIPT',
  '<IFRAME',
  '<H1',
  '<DIV',
  '<FONT',
  '<TABLE',
  '<A',
  '<STYLE',
  '<TITLE',
  '<B',
  '<BODY',
  '<BR',
  '<P',
  '<!--',
].map((signature) => Buffer.from(signature, 'latin1'));

export const TEXT_PLAIN = 'text/plain; charset=utf-8';
export const TEXT_HTML = 'text/html; charset=utf-8';

/**
 * The Content-Type the original's server sniffed for a response body without one, reduced to its two common outcomes
 * (docs/compatibility.md#sync-responses): `text/html` for a body that looks like HTML the way `http.DetectContentType`
 * decides it, `text/plain` for anything else.
 */
export function sniffContentType(body: string): string {
  const data = Buffer.from(body.slice(0, SNIFF_LENGTH), 'utf8').subarray(0, SNIFF_LENGTH);
  let start = 0;
  while (start < data.length && isWhitespace(data[start] ?? 0)) start++;
  return HTML_SIGNATURES.some((signature) => matchesHtml(data, start, signature)) ? TEXT_HTML : TEXT_PLAIN;
}

function isWhitespace(byte: number): boolean {
  return byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d || byte === 0x20;
}

function matchesHtml(data: Buffer, start: number, signature: Buffer): boolean {
  if (data.length - start < signature.length + 1) return false;
  for (let i = 0; i < signature.length; i++) {
    const expected = signature[i] ?? 0;
    let actual = data[start + i] ?? 0;
    // Letters in the signature match either case.
    if (expected >= 0x41 && expected <= 0x5a) actual &= 0xdf;
    if (actual !== expected) return false;
  }
  const terminator = data[start + signature.length];
  return terminator === 0x20 || terminator === 0x3e;
}
