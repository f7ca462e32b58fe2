/**
 * Watching a run's output for a reader that follows it (LogStore.watch).
 *
 * A watch is a flag: whatever may have added output sets it, and `changed` resolves at
 * once when it is set (clearing it) or sleeps until it is. The flag is cleared only when
 * `changed` resolves, so output written between a reader's read and its next `changed`
 * call is never missed.
 *
 * For log files the writer may be another process (a run `baton run` drives while
 * `baton serve` streams it), so the sign comes from the file system: fs.watch (inotify on
 * Linux) on the run's folder, which reports every append to a file in it. The folder
 * appears with the run's first output, so until then its parent is watched for it. Where
 * neither exists yet, or the file system reports nothing (some network mounts), the
 * reader's own timeout is the fallback, so readers of a run still going keep it modest.
 */
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { WaitOptions } from '../event-waits.js';
import type { LogWatch } from '../store.js';

/** The flag of a watch: `signal` sets it; `changed` waits for it (one reader at a time). */
export class ChangeFlag implements LogWatch {
  private dirty = false;
  private closed = false;
  private wake?: () => void;

  constructor(private readonly onClose?: () => void) {}

  signal(): void {
    this.dirty = true;
    this.wake?.();
  }

  changed(options: WaitOptions): Promise<void> {
    if (this.dirty || this.closed || options.signal?.aborted) {
      this.dirty = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        if (this.wake === done) this.wake = undefined;
        this.dirty = false;
        resolve();
      };
      const timer = setTimeout(done, options.timeoutMs);
      options.signal?.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.();
    this.wake?.();
  }
}

/** A watch of a run's log folder, by the file system's reports. */
export class FolderWatch extends ChangeFlag {
  private watcher?: FSWatcher;
  /** The parent's watcher while the folder does not exist. */
  private awaiting?: FSWatcher;
  private stopped = false;

  constructor(private readonly folder: string) {
    super();
    this.start();
  }

  override changed(options: WaitOptions): Promise<void> {
    // The folder may have appeared since: watch it, and read once more in case it filled up first.
    if (!this.watcher && this.start()) this.signal();
    return super.changed(options);
  }

  override close(): void {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = undefined;
    this.awaiting?.close();
    this.awaiting = undefined;
    super.close();
  }

  /** Starts watching the folder if it exists; false if it does not (yet), watching its parent for it. */
  private start(): boolean {
    if (this.stopped) return false;
    if (this.watcher) return true;
    try {
      this.watcher = watch(this.folder, { persistent: false }, () => this.signal());
    } catch {
      this.awaitFolder();
      return false;
    }
    this.awaiting?.close();
    this.awaiting = undefined;
    // Removed or unwatchable after all: the reader's timeout until a later call watches it again.
    this.watcher.on('error', () => {
      this.watcher?.close();
      this.watcher = undefined;
      this.signal();
    });
    return true;
  }

  /** Watches the parent for the folder's creation, which starts the folder's watch. */
  private awaitFolder(): void {
    if (this.awaiting) return;
    const name = path.basename(this.folder);
    try {
      this.awaiting = watch(path.dirname(this.folder), { persistent: false }, (_event, file) => {
        if ((file === null || file === name) && this.start()) this.signal();
      });
    } catch {
      // No parent either: the reader's timeout, and a later call tries again.
      return;
    }
    this.awaiting.on('error', () => {
      this.awaiting?.close();
      this.awaiting = undefined;
    });
  }
}
