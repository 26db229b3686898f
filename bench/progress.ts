import { SingleBar } from 'cli-progress';

/**
 * The bench's progress on stderr, so stdout keeps only the results. The plan is weighed up front in
 * estimated seconds (never a reported figure); each step reports the fraction it has done. Without a
 * terminal it prints a line per step instead of redrawing.
 */
export class Progress {
  readonly #bar: SingleBar;
  readonly #tty = process.stderr.isTTY === true;
  readonly #started = performance.now();
  #total: number;
  #done = 0;
  #weight = 0;

  constructor(totalWeight: number) {
    this.#total = Math.max(totalWeight, 1);
    this.#bar = new SingleBar({
      format: '{bar} {percentage}%  {duration_formatted} elapsed, ~{eta_formatted} left  {label}  {detail}',
      hideCursor: true,
      noTTYOutput: false,
      etaBuffer: 50,
    });
    if (this.#tty) this.#bar.start(this.#total, 0, { label: '', detail: '' });
  }

  /** Begins the next step; `weight` is its share of the plan, in estimated seconds. */
  step(label: string, weight: number): void {
    this.#done += this.#weight;
    this.#weight = weight;
    if (this.#done + weight > this.#total) {
      this.#total = this.#done + weight;
      this.#bar.setTotal(this.#total);
    }
    if (this.#tty) this.#bar.update(this.#done, { label, detail: '' });
    else process.stderr.write(`[${((100 * this.#done) / this.#total).toFixed(0).padStart(3)}%] ${label}\n`);
  }

  update(fraction: number, detail = ''): void {
    if (this.#tty) this.#bar.update(this.#done + this.#weight * Math.min(Math.max(fraction, 0), 1), { detail });
  }

  /** Clears the bar so the results print on a clean line. */
  finish(): void {
    if (this.#tty) this.#bar.stop();
    process.stderr.write(`bench finished in ${((performance.now() - this.#started) / 60_000).toFixed(1)} min\n`);
  }
}
