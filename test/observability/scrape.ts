import assert from 'node:assert/strict';
import { http } from '../helpers/http.js';

/** A real scrape of `GET /v1/metrics`, as Prometheus makes it. */
export async function scrape(configUrl: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await http(configUrl, '/v1/metrics', { headers });
  assert.equal(res.status, 200, res.text);
  return res.text;
}

/** The value of one series in the text exposition, or undefined when it is not there. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
