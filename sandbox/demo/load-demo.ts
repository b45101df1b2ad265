export async function loadDemoData(_: { env: NodeJS.ProcessEnv; connectWiseUrl: string; autotaskUrl: string }): Promise<string> { return 'demo data: not yet'; }
