/**
 * Learning curves: the validation loss and every metric per epoch, one panel per measure, one line per task,
 * rendered to a self-contained SVG with Vega-Lite (headless: no browser, no canvas).
 */
import { renderSvg } from './vega-svg.js';

export interface CurvePoint {
  epoch: number;
  task: string;
  measure: string;
  value: number;
}

export async function curvesSvg(points: readonly CurvePoint[], title: string): Promise<string> {
  return renderSvg({
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
  });
}
