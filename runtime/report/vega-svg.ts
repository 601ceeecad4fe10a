/** A Vega-Lite specification rendered to SVG text, headless (no browser, no canvas): the run's curves and the report's charts. */
import type { TopLevelSpec } from 'vega-lite';

/** A Vega-Lite top-level specification without `$schema` (filled in here), for each kind of specification. */
export type ChartSpec = TopLevelSpec extends infer S ? (S extends unknown ? Omit<S, '$schema'> : never) : never;

export async function renderSvg(spec: ChartSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', ...spec } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
