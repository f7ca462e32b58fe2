/** What a work queue may be called, in a workflow file and on the command line: 1-64 letters, digits, `-`, `_`, `.` (safe in a flag, a log line, a URL). */
export const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
