/**
 * Standard output that cannot take the report (a full disk, `> /dev/full`, a pipe whose
 * reader has gone): Node raises the write's error on the stream, after the command has
 * returned. It becomes the CLI's one line on stderr and exit status 2, not a stack trace.
 */

/** The system's reason in a few words: "no space left on device", "broken pipe". */
function reasonOf(err: NodeJS.ErrnoException): string {
  if (err.code === "EPIPE") return "broken pipe";
  return /^E[A-Z]+: ([^,]*)/.exec(err.message)?.[1] ?? err.message;
}

let installed = false;

/** From now on, an error writing standard output prints one line and exits with status 2. */
export function exitOnStdoutError(): void {
  if (installed) return;
  installed = true;
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    process.stderr.write(`khugesim: cannot write standard output: ${reasonOf(err)}\n`);
    process.exit(2);
  });
}
