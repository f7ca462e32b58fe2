/**
 * The terminal as the monitor uses it: the alternate screen (what was on the terminal is
 * there again on exit), the cursor hidden, keys read raw. A frame is drawn in one write,
 * and only its lines that differ from the frame on screen are written (each moved to,
 * erased, written), so nothing flickers; after a resize the whole frame is drawn again.
 *
 * Whatever way the process ends (a key, a signal, an error), restore() puts the terminal
 * back: cursor shown, main screen, keys cooked. It runs once, and on process exit too,
 * since a terminal left in raw mode on the alternate screen is a broken terminal.
 */

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[2J';
const LEAVE = '\x1b[0m\x1b[?25h\x1b[?1049l';

export class Screen {
  private shown: string[] = [];
  private active = false;
  private readonly onExit = () => this.restore();
  private onResize?: () => void;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly input: NodeJS.ReadStream,
  ) {}

  get columns(): number {
    return Math.max(20, this.out.columns || 80);
  }

  get rows(): number {
    return Math.max(5, this.out.rows || 24);
  }

  /** Takes the terminal over; `onKeys` gets what is typed, `onResize` a new size. */
  enter(onKeys: (chunk: string) => void, onResize: () => void): void {
    this.active = true;
    process.once('exit', this.onExit);
    this.out.write(ENTER);
    if (this.input.isTTY) this.input.setRawMode(true);
    this.input.setEncoding('utf8');
    this.input.on('data', onKeys);
    this.input.resume();
    this.onResize = () => {
      // Everything is drawn again, at the new size.
      this.shown = [];
      this.out.write('\x1b[2J');
      onResize();
    };
    this.out.on('resize', this.onResize);
  }

  /** Draws a frame (one string per row, already cut to the width): only the rows that changed. */
  draw(lines: readonly string[]): void {
    if (!this.active) return;
    const rows = this.rows;
    let out = '';
    for (let row = 0; row < rows; row++) {
      const line = lines[row] ?? '';
      if (this.shown[row] === line) continue;
      // Erased before it is written: erasing after a line as wide as the screen would take its last character.
      out += `\x1b[${row + 1};1H\x1b[2K${line}`;
    }
    this.shown = lines.slice(0, rows);
    if (out !== '') this.out.write(out);
  }

  /** Gives the terminal back as it was; safe to call more than once. */
  restore(): void {
    if (!this.active) return;
    this.active = false;
    process.off('exit', this.onExit);
    if (this.onResize) this.out.off('resize', this.onResize);
    try {
      if (this.input.isTTY) this.input.setRawMode(false);
    } catch {
      // The terminal is gone (hung up): nothing to give back.
    }
    this.input.pause();
    this.out.write(LEAVE);
  }
}
