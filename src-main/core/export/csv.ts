// CSV as RFC 4180 writes it: CRLF line ends; a field holding a comma, a double quote, CR or LF
// is enclosed in double quotes with its quotes doubled; every other field is written as is.

export type CsvField = string | number;

export function csvField(v: CsvField): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** header and rows as one CSV text, every record (the last one too) ended by CRLF. */
export function toCsv(header: readonly string[], rows: Iterable<readonly CsvField[]>): string {
  const lines = [header.map(csvField).join(',')];
  for (const r of rows) {
    if (r.length !== header.length) throw new Error(`toCsv: expected ${header.length} fields per row, got ${r.length}`);
    lines.push(r.map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
