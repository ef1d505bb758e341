/**
 * Minimal SVG charts for the benchmark report: a line chart (linear or log y axis) and a grouped bar
 * chart. Plain strings, no dependencies; sized to stay readable when embedded in a README.
 */

const COLORS = [
  '#1b9e77',
  '#d95f02',
  '#7570b3',
  '#e7298a',
  '#66a61e',
  '#e6ab02',
  '#a6761d',
  '#666666',
  '#1f78b4',
];
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

function esc(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(min, max, count) {
  const span = max - min || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? 10 * mag;
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function formatTick(v) {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1000) return `${v / 1000}k`;
  return String(Number(v.toPrecision(3)));
}

/**
 * series: [{ name, x: number[], y: number[] }]. options: { title, xLabel, yLabel, logY, yMin, width, height }.
 */
export function lineChart(series, options) {
  const width = options.width ?? 900;
  const height = options.height ?? 460;
  const m = { left: 70, right: 170, top: 44, bottom: 52 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const xs = series.flatMap((s) => s.x);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  const floor = options.yMin ?? (options.logY ? 0.1 : 0);
  const ys = series.flatMap((s) => s.y).map((y) => Math.max(y, floor));
  let yMin = options.logY ? Math.log10(floor) : Math.min(0, ...ys);
  let yMax = options.logY ? Math.log10(Math.max(...ys)) : Math.max(...ys);
  if (options.logY) {
    yMin = Math.floor(yMin);
    yMax = Math.ceil(yMax);
  }
  if (yMax === yMin) yMax = yMin + 1;
  const sx = (x) => m.left + ((x - xMin) / (xMax - xMin || 1)) * pw;
  const sy = (y) => {
    const v = options.logY ? Math.log10(Math.max(y, floor)) : y;
    return m.top + ph - ((v - yMin) / (yMax - yMin)) * ph;
  };
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
  );
  out.push(`<title>${esc(options.title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(
    `<text x="${width / 2 - m.right / 2 + m.left / 2}" y="26" font-size="17" text-anchor="middle" font-weight="bold">${esc(options.title)}</text>`,
  );
  // Y grid and labels.
  const yTicks = options.logY
    ? Array.from({ length: yMax - yMin + 1 }, (_, i) => 10 ** (yMin + i))
    : niceTicks(yMin, yMax, 6);
  for (const t of yTicks) {
    const y = sy(t);
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${m.left - 8}" y="${y + 4}" font-size="12" text-anchor="end">${formatTick(t)}</text>`);
  }
  for (const t of niceTicks(xMin, xMax, 8)) {
    const x = sx(t);
    out.push(`<line x1="${x}" x2="${x}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="#333"/>`);
    out.push(
      `<text x="${x}" y="${m.top + ph + 19}" font-size="12" text-anchor="middle">${formatTick(t)}</text>`,
    );
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(
    `<text x="${m.left + pw / 2}" y="${height - 12}" font-size="13" text-anchor="middle">${esc(options.xLabel)}</text>`,
  );
  out.push(
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" font-size="13" text-anchor="middle">${esc(options.yLabel)}</text>`,
  );
  // Draw the first series last, so it stays visible where lines overlap; `dash` tells overlapping ones apart.
  series.forEach((s, i) => {
    const ly = m.top + 10 + i * 22;
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(
      `<line x1="${m.left + pw + 16}" x2="${m.left + pw + 40}" y1="${ly}" y2="${ly}" stroke="${COLORS[i % COLORS.length]}" stroke-width="3"${dash}/>`,
    );
    out.push(`<text x="${m.left + pw + 46}" y="${ly + 4}" font-size="13">${esc(s.name)}</text>`);
  });
  for (let i = series.length - 1; i >= 0; i--) {
    const s = series[i];
    const points = s.x.map((x, k) => `${sx(x).toFixed(1)},${sy(s.y[k]).toFixed(1)}`).join(' ');
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    out.push(
      `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="${i === 0 ? 2.8 : 1.8}"${dash} points="${points}"/>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/**
 * groups: category labels; bars: [{ name, values: number[] }] (one value per group).
 * options: { title, yLabel, width, height, reference?: { name, values } drawn as black ticks }.
 */
export function barChart(groups, bars, options) {
  const width = options.width ?? 900;
  const height = options.height ?? 460;
  const m = { left: 70, right: 170, top: 44, bottom: 52 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const all = bars.flatMap((b) => b.values).concat(options.reference?.values ?? []);
  const yMax = Math.max(...all) * 1.05;
  const sy = (v) => m.top + ph - (v / yMax) * ph;
  const groupWidth = pw / groups.length;
  const barWidth = (groupWidth * 0.8) / bars.length;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
  );
  out.push(`<title>${esc(options.title)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(
    `<text x="${width / 2 - m.right / 2 + m.left / 2}" y="26" font-size="17" text-anchor="middle" font-weight="bold">${esc(options.title)}</text>`,
  );
  for (const t of niceTicks(0, yMax, 6)) {
    const y = sy(t);
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${m.left - 8}" y="${y + 4}" font-size="12" text-anchor="end">${formatTick(t)}</text>`);
  }
  groups.forEach((g, gi) => {
    const x0 = m.left + gi * groupWidth + groupWidth * 0.1;
    bars.forEach((b, bi) => {
      const v = b.values[gi];
      out.push(
        `<rect x="${(x0 + bi * barWidth).toFixed(1)}" y="${sy(v).toFixed(1)}" width="${(barWidth - 1).toFixed(1)}" height="${(m.top + ph - sy(v)).toFixed(1)}" fill="${COLORS[bi % COLORS.length]}"/>`,
      );
    });
    if (options.reference) {
      const y = sy(options.reference.values[gi]);
      out.push(
        `<line x1="${x0 - 4}" x2="${x0 + groupWidth * 0.8 + 4}" y1="${y}" y2="${y}" stroke="black" stroke-width="2.5" stroke-dasharray="6 3"/>`,
      );
    }
    out.push(
      `<text x="${x0 + groupWidth * 0.4}" y="${m.top + ph + 19}" font-size="12" text-anchor="middle">${esc(g)}</text>`,
    );
  });
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(
    `<text x="${m.left + pw / 2}" y="${height - 12}" font-size="13" text-anchor="middle">${esc(options.xLabel ?? '')}</text>`,
  );
  out.push(
    `<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" font-size="13" text-anchor="middle">${esc(options.yLabel)}</text>`,
  );
  const legend = [...bars.map((b, i) => [b.name, COLORS[i % COLORS.length]])];
  legend.forEach(([name, color], i) => {
    const ly = m.top + 10 + i * 22;
    out.push(`<rect x="${m.left + pw + 16}" y="${ly - 7}" width="22" height="12" fill="${color}"/>`);
    out.push(`<text x="${m.left + pw + 46}" y="${ly + 4}" font-size="13">${esc(name)}</text>`);
  });
  if (options.reference) {
    const ly = m.top + 10 + legend.length * 22;
    out.push(
      `<line x1="${m.left + pw + 16}" x2="${m.left + pw + 38}" y1="${ly}" y2="${ly}" stroke="black" stroke-width="2.5" stroke-dasharray="6 3"/>`,
    );
    out.push(
      `<text x="${m.left + pw + 46}" y="${ly + 4}" font-size="13">${esc(options.reference.name)}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
