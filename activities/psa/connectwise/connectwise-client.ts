/**
 * A typed ConnectWise PSA REST 3.0 client for the records the connector touches: companies,
 * catalog items, agreements and agreement additions (docs/psa-apis.md §1). Transport, retries,
 * timeouts and errors come from ../http; this file knows ConnectWise's paths, headers and
 * list conventions.
 */
import { z } from 'zod';
import { createHttpClient, type HttpClientConfig, type HttpClient, type HttpRequest, type TransportOptions } from '../http/http-client';
import { classifyConnectWiseFailure } from './connectwise-errors';
import {
  cwAdditionSchema,
  cwAgreementSchema,
  cwCatalogItemSchema,
  cwCompanySchema,
  cwCountSchema,
  cwSystemInfoSchema,
  type CwAddition,
  type CwAdditionInput,
  type CwAgreement,
  type CwCatalogItem,
  type CwCatalogItemInput,
  type CwCompany,
  type CwCompanyInput,
  type CwPatchOp,
  type CwRef,
  type CwSystemInfo,
} from './schemas';

export interface ConnectWiseCredentials {
  /** The login company id (the `company` in `company+publicKey:privateKey`). */
  companyId: string;
  publicKey: string;
  privateKey: string;
  /** Integration GUID from the ConnectWise developer portal. */
  clientId: string;
}

/** Pinned API version sent in the Accept header (docs/psa-apis.md §1.2). */
export const CW_DEFAULT_API_VERSION = '2025.8';
export const CW_MAX_PAGE_SIZE = 1000;

export interface ConnectWiseClientDeps extends Omit<TransportOptions, 'now'> {
  /** `https://{site}/{codebase}/apis/3.0`, e.g. `https://api-na.myconnectwise.net/v4_6_release/apis/3.0`. */
  baseUrl: string;
  credentials: ConnectWiseCredentials;
  apiVersion?: string;
}

export interface ListOptions {
  conditions?: string;
  orderBy?: string;
  fields?: string;
  page?: number;
  pageSize?: number;
}

export interface Page<T> {
  items: T[];
  /** True when the `Link` header offers a next page. */
  hasNext: boolean;
}

interface Collection<T, I> {
  list(options?: ListOptions): Promise<Page<T>>;
  /** Ids of the records matching `conditions` (`fields=id`, so only `id` comes back), lowest first. */
  ids(conditions: string, maxItems?: number): Promise<number[]>;
  /** Every page (pageSize 1000) up to `maxItems`. */
  listAll(options?: Omit<ListOptions, 'page' | 'pageSize'>, maxItems?: number): Promise<T[]>;
  count(conditions?: string): Promise<number>;
  get(id: number): Promise<T>;
  create(input: I): Promise<T>;
  update(id: number, patch: CwPatchOp[]): Promise<T>;
}

export interface ConnectWiseClient {
  /** The credentials test: a cheap authenticated GET of `/system/info`. */
  systemInfo(): Promise<CwSystemInfo>;
  companies: Collection<CwCompany, CwCompanyInput>;
  catalog: Collection<CwCatalogItem, CwCatalogItemInput>;
  agreements: Omit<Collection<CwAgreement, never>, 'create'>;
  additions: {
    list(agreementId: number, options?: ListOptions): Promise<Page<CwAddition>>;
    listAll(agreementId: number, options?: Omit<ListOptions, 'page' | 'pageSize'>, maxItems?: number): Promise<CwAddition[]>;
    get(agreementId: number, additionId: number): Promise<CwAddition>;
    create(agreementId: number, input: CwAdditionInput): Promise<CwAddition>;
    update(agreementId: number, additionId: number, patch: CwPatchOp[]): Promise<CwAddition>;
    delete(agreementId: number, additionId: number): Promise<void>;
  };
  /** Reference lists needed to create catalog items. */
  productTypes(): Promise<CwRef[]>;
  subcategories(): Promise<CwRef[]>;
  /** Scrubs credentials from a text (for callers composing messages). */
  redact(text: string): string;
}

/** `Authorization` value: Basic base64(`company+publicKey:privateKey`). */
export const basicAuthorization = (c: ConnectWiseCredentials): string =>
  `Basic ${Buffer.from(`${c.companyId}+${c.publicKey}:${c.privateKey}`, 'utf8').toString('base64')}`;

const hasNextLink = (link: string | null): boolean => !!link && /rel="?next"?/i.test(link);

/** What a list asked for `fields=id` answers with. */
const idOnlySchema = z.object({ id: z.number().int() }).passthrough();

const refSchema = z.object({ id: z.number().int(), identifier: z.string().nullish(), name: z.string().nullish() }).passthrough();

export function createConnectWiseClient(deps: ConnectWiseClientDeps): ConnectWiseClient {
  const authorization = basicAuthorization(deps.credentials);
  const config: HttpClientConfig = {
    psa: 'connectwise',
    baseUrl: deps.baseUrl,
    headers: {
      Authorization: authorization,
      clientId: deps.credentials.clientId,
      Accept: `application/vnd.connectwise.com+json; version=${deps.apiVersion ?? CW_DEFAULT_API_VERSION}, application/json`,
    },
    secrets: [authorization, authorization.slice('Basic '.length), deps.credentials.privateKey],
    classify: classifyConnectWiseFailure,
    fetch: deps.fetch,
    logger: deps.logger,
    sleep: deps.sleep,
    random: deps.random,
    timeoutMs: deps.timeoutMs,
    retry: deps.retry,
  };
  const http: HttpClient = createHttpClient(config);
  const call = async <T>(req: HttpRequest<T>): Promise<T> => (await http.request(req)).data;

  async function list<T>(path: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>, options: ListOptions = {}): Promise<Page<T>> {
    const res = await http.request({
      method: 'GET',
      path,
      query: { ...options },
      schema: z.array(schema),
      // A 404 on a collection that must exist is how ConnectWise cloud often reports bad credentials.
      on404: 'auth',
    });
    return { items: res.data, hasNext: hasNextLink(res.headers.get('link')) };
  }

  async function listAll<T>(path: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>, options: ListOptions = {}, maxItems = 10_000): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; out.length < maxItems; page++) {
      const res = await list(path, schema, { ...options, page, pageSize: CW_MAX_PAGE_SIZE });
      out.push(...res.items);
      if (!res.hasNext || res.items.length < CW_MAX_PAGE_SIZE) break;
    }
    return out.slice(0, maxItems);
  }

  function collection<T, I>(path: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>): Collection<T, I> {
    return {
      list: (options) => list(path, schema, options),
      ids: async (conditions, maxItems = 25) =>
        (await list(path, idOnlySchema, { conditions, fields: 'id', orderBy: 'id asc', pageSize: Math.min(maxItems, CW_MAX_PAGE_SIZE) })).items.map((r) => r.id),
      listAll: (options, maxItems) => listAll(path, schema, options, maxItems),
      count: async (conditions) => (await call({ method: 'GET', path: `${path}/count`, query: { conditions }, schema: cwCountSchema, on404: 'auth' })).count,
      get: (id) => call({ method: 'GET', path: `${path}/${id}`, schema }),
      create: (input) => call({ method: 'POST', path, body: input, schema }),
      update: (id, patch) => call({ method: 'PATCH', path: `${path}/${id}`, body: patch, schema }),
    };
  }

  const additionsPath = (agreementId: number): string => `/finance/agreements/${agreementId}/additions`;
  const { create: _noAgreementCreate, ...agreements } = collection<CwAgreement, never>('/finance/agreements', cwAgreementSchema);

  return {
    systemInfo: () => call({ method: 'GET', path: '/system/info', schema: cwSystemInfoSchema, on404: 'auth' }),
    companies: collection('/company/companies', cwCompanySchema),
    catalog: collection('/procurement/catalog', cwCatalogItemSchema),
    agreements,
    additions: {
      list: (agreementId, options) => list(additionsPath(agreementId), cwAdditionSchema, options),
      listAll: (agreementId, options, maxItems) => listAll(additionsPath(agreementId), cwAdditionSchema, options, maxItems),
      get: (agreementId, additionId) => call({ method: 'GET', path: `${additionsPath(agreementId)}/${additionId}`, schema: cwAdditionSchema }),
      create: (agreementId, input) => call({ method: 'POST', path: additionsPath(agreementId), body: input, schema: cwAdditionSchema }),
      update: (agreementId, additionId, patch) =>
        call({ method: 'PATCH', path: `${additionsPath(agreementId)}/${additionId}`, body: patch, schema: cwAdditionSchema }),
      delete: async (agreementId, additionId) => {
        await call({ method: 'DELETE', path: `${additionsPath(agreementId)}/${additionId}`, schema: z.unknown() });
      },
    },
    productTypes: async () => (await list('/procurement/types', refSchema, { pageSize: CW_MAX_PAGE_SIZE })).items,
    subcategories: async () => (await list('/procurement/subcategories', refSchema, { pageSize: CW_MAX_PAGE_SIZE })).items,
    redact: http.redact,
  };
}
