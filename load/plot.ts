/**
 * A small SVG chart, no dependencies: throughput and p99 latency against concurrency (log scale), one line per
 * series, two panels side by side.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface PlotPoint {
  concurrency: number;
  perSecond: number;
  p99: number;
}

export interface PlotSeries {
  name: string;
  points: PlotPoint[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const PANEL = { width: 420, height: 280, left: 60, top: 40, right: 20, bottom: 45 };

function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m >= value)!;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function panel(x0: number, title: string, unit: string, series: PlotSeries[], value: (p: PlotPoint) => number): string {
  const concurrencies = [...new Set(series.flatMap((s) => s.points.map((p) => p.concurrency)))].sort((a, b) => a - b);
  const [cMin, cMax] = [Math.log2(concurrencies[0]), Math.log2(concurrencies.at(-1)!)];
  const yMax = niceMax(Math.max(...series.flatMap((s) => s.points.map(value))));
  const w = PANEL.width - PANEL.left - PANEL.right;
  const h = PANEL.height - PANEL.top - PANEL.bottom;
  const x = (c: number) => x0 + PANEL.left + (cMax === cMin ? w / 2 : ((Math.log2(c) - cMin) / (cMax - cMin)) * w);
  const y = (v: number) => PANEL.top + h - (v / yMax) * h;
  const parts = [`<text x="${x0 + PANEL.width / 2}" y="20" text-anchor="middle" font-weight="bold">${escape(title)}</text>`];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(`<line x1="${x0 + PANEL.left}" x2="${x0 + PANEL.left + w}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    parts.push(`<text x="${x0 + PANEL.left - 6}" y="${y(v) + 4}" text-anchor="end">${Number(v.toPrecision(3))}</text>`);
  }
  for (const c of concurrencies) parts.push(`<text x="${x(c)}" y="${PANEL.top + h + 18}" text-anchor="middle">${c}</text>`);
  parts.push(`<text x="${x0 + PANEL.left + w / 2}" y="${PANEL.height - 8}" text-anchor="middle">concurrent devices</text>`);
  parts.push(`<text transform="translate(${x0 + 14},${PANEL.top + h / 2}) rotate(-90)" text-anchor="middle">${escape(unit)}</text>`);
  parts.push(`<rect x="${x0 + PANEL.left}" y="${PANEL.top}" width="${w}" height="${h}" fill="none" stroke="#888"/>`);
  series.forEach((s, i) => {
    const points = [...s.points].sort((a, b) => a.concurrency - b.concurrency).map((p) => `${x(p.concurrency).toFixed(1)},${y(value(p)).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${points.join(' ')}"/>`);
    for (const point of points) parts.push(`<circle cx="${point.split(',')[0]}" cy="${point.split(',')[1]}" r="3" fill="${COLORS[i % COLORS.length]}"/>`);
  });
  return parts.join('\n');
}

export function renderPlot(title: string, series: PlotSeries[]): string {
  const width = PANEL.width * 2;
  const legendHeight = 18 * series.length + 10;
  const height = PANEL.height + legendHeight + 30;
  const legend = series.map(
    (s, i) => `<rect x="70" y="${PANEL.height + 30 + i * 18}" width="14" height="4" fill="${COLORS[i % COLORS.length]}"/><text x="90" y="${PANEL.height + 36 + i * 18}">${escape(s.name)}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="${height - 6}" text-anchor="middle" fill="#555">${escape(title)}</text>`,
    `<g transform="translate(0,6)">`,
    panel(0, 'Throughput', 'certificates per second', series, (p) => p.perSecond),
    panel(PANEL.width, 'p99 latency', 'ms', series, (p) => p.p99),
    `</g>`,
    ...legend,
    '</svg>',
  ].join('\n');
}

export function writePlot(path: string, title: string, series: PlotSeries[]): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderPlot(title, series));
}
