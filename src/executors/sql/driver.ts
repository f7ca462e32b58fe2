/** A database driver that cannot be loaded: the install is broken (the task says to reinstall). */
export class DriverMissing extends Error {
  constructor(
    readonly packageName: string,
    readonly database: string,
    cause: unknown,
  ) {
    super(`cannot load the \`${packageName}\` package, which ${database} needs: reinstall baton (\`npm install\`)`, { cause });
  }
}
