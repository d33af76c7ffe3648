/** The strict Prometheus text parser the admin metrics tests rely on: it must refuse what Prometheus refuses. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText, sampleSum } from '../support/prometheus-text.js';

const VALID = `# HELP jobs_total Jobs done.
# TYPE jobs_total counter
jobs_total{kind="a",note="say \\"hi\\"\\n"} 3
jobs_total{kind="b"} 4 1700000000000
# TYPE temp gauge
temp NaN
# TYPE took histogram
took_bucket{le="0.1"} 1
took_bucket{le="1"} 2
took_bucket{le="+Inf"} 3
took_sum 4.5
took_count 3
`;

test('parses families, escaped labels, special values and histograms', () => {
  const families = parsePrometheusText(VALID);
  assert.deepEqual([...families.keys()], ['jobs_total', 'temp', 'took']);
  assert.equal(families.get('jobs_total')?.help, 'Jobs done.');
  assert.equal(families.get('jobs_total')?.samples[0].labels.note, 'say "hi"\n');
  assert.equal(sampleSum(families, 'jobs_total'), 7);
  assert.equal(sampleSum(families, 'jobs_total', { kind: 'b' }), 4);
  assert.ok(Number.isNaN(families.get('temp')?.samples[0].value));
  assert.equal(sampleSum(families, 'took_count'), 3);
});

test('refuses malformed exposition', () => {
  const broken: [string, RegExp][] = [
    ['jobs_total 1\n', /no # TYPE/],
    ['# TYPE a counter\na -1\n', /negative/],
    ['# TYPE a counter\na{x="1} 1\n', /unterminated/],
    ['# TYPE a counter\na{x="\\t"} 1\n', /bad escape/],
    ['# TYPE a counter\na{1x="1"} 1\n', /bad label name/],
    ['# TYPE a counter\na one\n', /invalid value/],
    ['# TYPE a counter\na 1\na 2\n', /repeated/],
    ['# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x="y"} 2\n', /not contiguous/],
    ['# TYPE a gauge\na 1\n# TYPE a gauge\n', /after its samples/],
    ['# TYPE a wobbly\n', /unknown type/],
    ['# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', /not cumulative/],
    ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /no \+Inf bucket/],
    ['# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n', /differs from _count/],
    ['# TYPE a gauge\na 1', /end with a newline/],
  ];
  for (const [text, message] of broken) assert.throws(() => parsePrometheusText(text), message, text);
});
