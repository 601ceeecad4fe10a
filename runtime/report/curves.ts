/**
 * Learning curves: the validation loss and every metric per epoch, one panel per measure, one line per task,
 * rendered to a self-contained SVG with Vega-Lite (headless: no browser, no canvas).
 */
export interface CurvePoint {
  epoch: number;
  task: string;
  measure: string;
  value: number;
}

/** Rows of metrics.jsonl → long-format points (nulls, e.g. AUC of a one-class split, are left out). */
export function curvePoints(records: readonly Record<string, unknown>[]): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const r of records) {
    if (typeof r.epoch !== 'number' || typeof r.task !== 'string') continue;
    for (const [measure, value] of Object.entries(r)) {
      if (measure === 'epoch' || measure === 'task' || measure === 'split' || typeof value !== 'number' || !Number.isFinite(value)) continue;
      points.push({ epoch: r.epoch, task: r.task, measure, value });
    }
  }
  return points;
}

export async function curvesSvg(points: readonly CurvePoint[], title: string): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const spec = vegaLite.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: points as CurvePoint[] },
    facet: { field: 'measure', type: 'nominal', title: null },
    columns: 3,
    spec: {
      width: 220,
      height: 150,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
        color: { field: 'task', type: 'nominal' },
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
