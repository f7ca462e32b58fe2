/**
 * Counters and histograms kept in plain numbers, one cell per set of label values, that
 * prom-client's registry formats when scraped (a registered metric is anything with a
 * name and a get() in prom-client's shape). The fold follows every event of the store:
 * going through prom-client's own metrics, each increment would check and hash its labels
 * again, which cost more than the rest of the fold together; here the fold holds on to
 * the cell of a series and adds to it.
 */

type Labels = Readonly<Record<string, string>>;

interface Value {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** What prom-client's Registry reads of a metric (registerMetric, getMetricsAsString). */
export interface RegisteredMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  get(): Promise<{ name: string; help: string; type: string; values: Value[]; aggregator: 'sum' }>;
  reset(): void;
}

export class CounterCell {
  value = 0;
  constructor(readonly labels: Labels) {}

  inc(): void {
    this.value++;
  }
}

export class HistogramCell {
  /** Observations per bucket (not cumulative), the last one past every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

abstract class Family<Cell extends { labels: Labels }> implements RegisteredMetric {
  abstract readonly type: 'counter' | 'histogram';
  protected cells = new Map<string, Cell>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** The cell of these label values (an object of text values, always with the same keys), made at first use. */
  cell(given: object): Cell {
    const labels = given as Labels;
    const key = Object.values(labels).join('\u0000');
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = this.make({ ...labels });
      this.cells.set(key, cell);
    }
    return cell;
  }

  reset(): void {
    this.cells = new Map();
  }

  async get() {
    const values: Value[] = [];
    for (const cell of this.cells.values()) this.values(cell, values);
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' as const };
  }

  protected abstract make(labels: Labels): Cell;
  protected abstract values(cell: Cell, into: Value[]): void;
}

export class CounterFamily extends Family<CounterCell> {
  readonly type = 'counter' as const;

  protected make(labels: Labels): CounterCell {
    return new CounterCell(labels);
  }

  protected values(cell: CounterCell, into: Value[]): void {
    into.push({ labels: { ...cell.labels }, value: cell.value });
  }
}

export class HistogramFamily extends Family<HistogramCell> {
  readonly type = 'histogram' as const;

  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[],
  ) {
    super(name, help);
  }

  protected make(labels: Labels): HistogramCell {
    return new HistogramCell(labels, this.bounds);
  }

  /** As Prometheus reads a histogram: cumulative buckets by upper bound (`le`), +Inf, sum and count. */
  protected values(cell: HistogramCell, into: Value[]): void {
    let cumulative = 0;
    this.bounds.forEach((bound, i) => {
      cumulative += cell.counts[i];
      into.push({ labels: { ...cell.labels, le: bound }, value: cumulative, metricName: `${this.name}_bucket` });
    });
    into.push({ labels: { ...cell.labels, le: '+Inf' }, value: cell.count, metricName: `${this.name}_bucket` });
    into.push({ labels: { ...cell.labels }, value: cell.sum, metricName: `${this.name}_sum` });
    into.push({ labels: { ...cell.labels }, value: cell.count, metricName: `${this.name}_count` });
  }
}
