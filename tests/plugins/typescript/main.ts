import { logInfo, ok, type RouteRequest, type RouteResponse } from 'sdk';
import { Circle, Kind, Level, Square, type Shape } from './lib/shapes.ts';

type Totals<K extends string> = { [P in K]?: number };

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((n, item) => n + of(item), 0);
}

const config = { unit: 'cm', precision: 0 } satisfies { unit: string; precision: number };

export function shapes(req: RouteRequest): RouteResponse {
  const all: Shape[] = [new Circle(2), new Square(3), new Square(4, 'big')];
  const totals: Totals<Kind> = {};
  for (const s of all) totals[s.kind] = (totals[s.kind] ?? 0) + s.area();
  logInfo(`shapes for ${req.path}`);
  return ok({
    total: sum(all, (s) => s.area()),
    totals,
    unit: config.unit,
    level: Level[Level.High],
    square: (all[2] as Square).describe(),
  });
}

export function on_content_created(input: string): string {
  const { id } = JSON.parse(input) as { id: string };
  return `created ${id}`;
}

export function boom(): never {
  // A comment, so that the throw is not on the generated line.
  throw new Error('boom from TypeScript');
}
