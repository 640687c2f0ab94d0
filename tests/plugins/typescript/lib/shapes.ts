// A module of its own, imported as `./lib/shapes.ts`.
export enum Kind {
  Circle = 'circle',
  Square = 'square',
}

export enum Level { Low, Mid, High }

export interface Shape {
  readonly kind: Kind;
  area(): number;
}

export class Circle implements Shape {
  readonly kind = Kind.Circle;
  constructor(private readonly radius: number) {}
  area(): number {
    return Math.round(Math.PI * this.radius ** 2);
  }
}

export class Square implements Shape {
  readonly kind = Kind.Square;
  constructor(public side: number, protected label: string = 'sq') {}
  area(): number {
    return this.side * this.side;
  }
  describe(): string {
    return `${this.label}:${this.side}`;
  }
}
