/**
 * `baton logs ... | head` closes the pipe before baton is done writing: that is the reader
 * saying it has enough, not an error. Call once before writing a lot to stdout.
 */
export function stopQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
