const BAR_WIDTH = 28;
const REDRAW_MS = 200;

function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/**
 * A progress bar on stderr, so stdout keeps only the results. The plan is weighed up front in
 * estimated seconds; each step reports the fraction it has done. Without a terminal it prints a
 * line per step instead of redrawing.
 */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #started = performance.now();
  #total: number;
  #done = 0;
  #weight = 0;
  #fraction = 0;
  #label = '';
  #detail = '';
  #lastDraw = 0;

  constructor(totalWeight: number, stream: NodeJS.WriteStream = process.stderr) {
    this.#total = Math.max(totalWeight, 1);
    this.#stream = stream;
  }

  /** Begins the next step; `weight` is its share of the plan, in estimated seconds. */
  step(label: string, weight: number): void {
    this.#done += this.#weight;
    this.#weight = weight;
    this.#fraction = 0;
    this.#label = label;
    this.#detail = '';
    if (this.#done + weight > this.#total) this.#total = this.#done + weight;
    if (this.#stream.isTTY) this.#draw(true);
    else this.#stream.write(`[${this.#percent().toFixed(0).padStart(3)}%] ${label}\n`);
  }

  update(fraction: number, detail = ''): void {
    this.#fraction = Math.min(Math.max(fraction, 0), 1);
    this.#detail = detail;
    if (this.#stream.isTTY) this.#draw(false);
  }

  /** Clears the bar so the results print on a clean line. */
  finish(): void {
    this.#done = this.#total;
    this.#weight = 0;
    if (this.#stream.isTTY) this.#stream.write('\r\u001b[K');
    this.#stream.write(`bench finished in ${clock((performance.now() - this.#started) / 1000)}\n`);
  }

  #percent(): number {
    return (100 * (this.#done + this.#weight * this.#fraction)) / this.#total;
  }

  #draw(force: boolean): void {
    const now = performance.now();
    if (!force && now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    const percent = this.#percent();
    const filled = Math.round((BAR_WIDTH * percent) / 100);
    const elapsed = (now - this.#started) / 1000;
    const eta = percent > 1 ? (elapsed * (100 - percent)) / percent : Number.NaN;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
    const text = `${bar} ${percent.toFixed(0).padStart(3)}%  ${clock(elapsed)} elapsed, ~${clock(eta)} left  ${this.#label}${this.#detail ? `  ${this.#detail}` : ''}`;
    const width = this.#stream.columns ?? 120;
    this.#stream.write(`\r${text.slice(0, width - 1)}\u001b[K`);
  }
}
