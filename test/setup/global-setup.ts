// Placeholder until the real stack setup lands: lets unit tests run.
export default async function globalSetup(): Promise<void> {}
