/** For a sandbox's `npm run sandbox:*` entry: keeps it up until SIGINT/SIGTERM, then closes it. */
export function closeOnSignal(sandbox: { close(): Promise<void> }): void {
  const stop = (): void => {
    sandbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
