/** Ports and folders of the local stack (`npm start`), from the environment, validated. */
import { z } from 'zod';
import { portSchema } from '../../runtime/config';

export const stackConfigSchema = z.object({
  TEMPORAL_PORT: portSchema(7233),
  TEMPORAL_UI_PORT: portSchema(8233),
  MONGO_PORT: portSchema(27018),
  SMTP_PORT: portSchema(2525),
  SMTP_SINK_PORT: portSchema(8025),
  CW_SANDBOX_PORT: portSchema(8710),
  AT_SANDBOX_PORT: portSchema(8720),
  API_PORT: portSchema(8080),
  DATA_DIR: z.string().min(1).default('.data'),
  DEMO_DATA: z.enum(['on', 'off']).default('on'),
});
export type StackConfig = z.infer<typeof stackConfigSchema>;

export function parseStackConfig(env: Record<string, string | undefined>): StackConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const res = stackConfigSchema.safeParse(present);
  if (res.success) return res.data;
  const issue = res.error.issues[0]!;
  const name = String(issue.path[0]);
  throw new Error(`Configuration error: ${name} ${issue.message} (got "${present[name]}")`);
}
