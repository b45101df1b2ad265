/**
 * Checks JSON against the vendors' published schemas (test/fixtures/vendor): the subset of JSON
 * Schema / OpenAPI those documents use — type, format date-time, enum, maxLength, required,
 * nullable, properties, items, $ref — with every object closed (a property the model does not
 * list is a finding: that is how a field the vendor does not have is caught).
 *
 * Dialects: Autotask's swagger names properties in PascalCase while the wire is camelCase and
 * Autotask matches names without regard to case, so Autotask property names compare
 * case-insensitively; its swagger 2.0 has no `nullable`, and Autotask answers null for empty
 * fields, so null passes there. ConnectWise's OpenAPI 3 says `nullable` where null may appear.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SchemaNode {
  type?: string;
  format?: string;
  enum?: unknown[];
  maxLength?: number;
  required?: string[];
  nullable?: boolean;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  $ref?: string;
}

export interface VendorSchemas {
  vendor: 'autotask' | 'connectwise';
  definitions: Record<string, SchemaNode>;
}

const FIXTURES = join(__dirname, '..', 'fixtures', 'vendor');

export function loadVendorSchemas(vendor: VendorSchemas['vendor']): VendorSchemas & { paths?: Record<string, string[]> } {
  const file = vendor === 'autotask' ? 'autotask/rest-v1-subset.json' : 'connectwise/rest-3.0-subset.json';
  const doc = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { definitions: Record<string, SchemaNode>; paths?: Record<string, string[]> };
  return { vendor, definitions: doc.definitions, paths: doc.paths };
}

/** .NET artefacts of the Autotask swagger that stand for "any JSON value" on the wire. */
const ANY_REFS = new Set(['ValueItem', 'Object', 'RestUserAccessLevel']);

/** Problems of `value` against `schema`, each as `path: what`. Empty when it conforms. */
export function validate(schemas: VendorSchemas, schema: SchemaNode | string, value: unknown, path = '$', extraWritable: readonly string[] = []): string[] {
  const node: SchemaNode = typeof schema === 'string' ? { $ref: `#/definitions/${schema}` } : schema;
  if (node.$ref) {
    const name = node.$ref.split('/').pop()!;
    if (ANY_REFS.has(name)) return [];
    const target = schemas.definitions[name];
    if (!target) return [`${path}: schema ${name} is not in the fixture`];
    return validate(schemas, target, value, path, extraWritable);
  }
  if (value === null) return node.nullable || schemas.vendor === 'autotask' ? [] : [`${path}: null where the model allows none`];
  const problems: string[] = [];
  const type = node.type ?? (node.properties ? 'object' : undefined);
  switch (type) {
    case 'integer':
      if (!Number.isInteger(value)) problems.push(`${path}: ${JSON.stringify(value)} is not an integer`);
      break;
    case 'number':
      if (typeof value !== 'number') problems.push(`${path}: ${JSON.stringify(value)} is not a number`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${path}: ${JSON.stringify(value)} is not a boolean`);
      break;
    case 'string':
      if (typeof value !== 'string') problems.push(`${path}: ${JSON.stringify(value)} is not a string`);
      else {
        if (node.format === 'date-time' && Number.isNaN(Date.parse(value))) problems.push(`${path}: "${value}" is not a date-time`);
        if (node.maxLength !== undefined && value.length > node.maxLength) problems.push(`${path}: ${value.length} characters, the model allows ${node.maxLength}`);
      }
      break;
    case 'array':
      if (!Array.isArray(value)) problems.push(`${path}: not an array`);
      else value.forEach((v, i) => problems.push(...validate(schemas, node.items ?? {}, v, `${path}[${i}]`)));
      break;
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) {
        problems.push(`${path}: not an object`);
        break;
      }
      const props = node.properties ?? {};
      const keyOf = (k: string) => (schemas.vendor === 'autotask' ? Object.keys(props).find((p) => p.toLowerCase() === k.toLowerCase()) : k in props ? k : undefined);
      for (const [k, v] of Object.entries(value)) {
        const key = keyOf(k);
        if (key !== undefined) problems.push(...validate(schemas, props[key]!, v, `${path}.${k}`));
        else if (typeof node.additionalProperties === 'object') problems.push(...validate(schemas, node.additionalProperties, v, `${path}.${k}`));
        else if (node.properties && !extraWritable.some((w) => w.toLowerCase() === k.toLowerCase())) problems.push(`${path}.${k}: not a field of the model`);
      }
      break;
    }
    default:
      break;
  }
  if (node.enum && !node.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} is not one of ${node.enum.join(', ')}`);
  return problems;
}

/** `required` of a model, checked on a create body (missing or empty). */
export function missingRequired(schemas: VendorSchemas, model: string, body: Record<string, unknown>): string[] {
  const required = schemas.definitions[model]?.required ?? [];
  return required.filter((f) => body[f] === undefined || body[f] === null || body[f] === '').map((f) => `$.${f}: required by the model`);
}
