/** The few calls of @apigrate/autotask-restapi (plain JavaScript, no types of its own) the third-party test makes. */
declare module '@apigrate/autotask-restapi' {
  type Json = Record<string, unknown>;
  interface RootEntity {
    query(search: Json): Promise<{ items: Json[]; pageDetails: { count: number; nextPageUrl: string | null } }>;
    count(search: Json): Promise<{ queryCount: number }>;
    get(id: number): Promise<{ item: Json } | null>;
    create(body: Json): Promise<{ itemId: number }>;
    update(body: Json): Promise<{ itemId: number }>;
    fieldInfo(): Promise<{ fields: Json[] }>;
  }
  interface ChildEntity extends Omit<RootEntity, 'create' | 'update'> {
    create(parentId: number, body: Json): Promise<{ itemId: number }>;
    update(parentId: number, body: Json): Promise<{ itemId: number }>;
    delete(parentId: number, id: number): Promise<{ itemId: number } | null>;
  }
  export class AutotaskRestApi {
    constructor(user: string, secret: string, code: string, options?: { base_url?: string; version?: string });
    Companies: RootEntity;
    Services: RootEntity;
    ContractServices: ChildEntity;
    ContractServiceAdjustments: ChildEntity;
    ContractServiceUnits: ChildEntity;
    ContractCharges: ChildEntity;
  }
  export class AutotaskApiError extends Error {
    status: number;
    details: unknown;
  }
}
