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
