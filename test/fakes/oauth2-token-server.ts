import { randomBytes } from 'node:crypto';
import { TokenServer, type TokenReply, type TokenRequest } from './token-server.js';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

export interface IssuedAccessToken {
  readonly value: string;
  readonly clientId: string;
  readonly scope: string | undefined;
  readonly audience: string | undefined;
  readonly expiresAt: number;
  readonly method: ClientAuthMethod;
  /** Every form field of the request that got it, client secret excluded. */
  readonly params: Readonly<Record<string, string>>;
}

export interface OAuth2TokenServerOptions {
  /** Registered clients: id → secret. */
  readonly clients: Readonly<Record<string, string>>;
  /** `expires_in` of the tokens, in seconds; undefined leaves it out of the answer. @default 3600 */
  readonly expiresIn?: number | undefined;
}

/**
 * An OAuth2 authorization server's token endpoint for the client-credentials grant (RFC 6749 §4.4): it checks the
 * client's authentication (`client_secret_basic`, §2.3.1, or `client_secret_post`), answers §5.2 errors
 * (`invalid_client` with a 401, `unsupported_grant_type`), and issues opaque bearer tokens it can later check.
 */
export class OAuth2TokenServer extends TokenServer {
  readonly issued: IssuedAccessToken[] = [];
  /** `expires_in` of the next tokens, in seconds (undefined: not sent). */
  expiresIn: number | undefined;
  private readonly clients: Readonly<Record<string, string>>;

  private constructor(options: OAuth2TokenServerOptions) {
    super();
    this.clients = options.clients;
    this.expiresIn = 'expiresIn' in options ? options.expiresIn : 3600;
  }

  static async start(options: OAuth2TokenServerOptions): Promise<OAuth2TokenServer> {
    const server = new OAuth2TokenServer(options);
    await server.listen();
    return server;
  }

  /** The token `value` as issued, when it exists and has not expired. */
  valid(value: string, now = Date.now()): IssuedAccessToken | undefined {
    const token = this.issued.find((t) => t.value === value);
    return token !== undefined && now < token.expiresAt ? token : undefined;
  }

  /** The issued token behind an `Authorization: Bearer …` header, when valid. */
  validBearer(authorization: string | undefined): IssuedAccessToken | undefined {
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return undefined;
    return this.valid(authorization.slice('Bearer '.length));
  }

  /** Makes every token issued so far unusable (a key rotation at the issuer). */
  revokeAll(): void {
    this.issued.splice(0, this.issued.length, ...this.issued.map((t) => ({ ...t, expiresAt: 0 })));
  }

  protected answer(request: TokenRequest): TokenReply {
    const client = this.authenticate(request);
    if (typeof client === 'string') {
      return { status: 401, body: { error: 'invalid_client', error_description: client } };
    }
    const grant = request.form.get('grant_type');
    if (grant !== 'client_credentials') {
      return { status: 400, body: { error: 'unsupported_grant_type', error_description: `grant_type ${grant ?? '(none)'}` } };
    }
    const value = `at-${this.issued.length + 1}-${randomBytes(12).toString('hex')}`;
    const params: Record<string, string> = {};
    for (const [name, param] of request.form) if (name !== 'client_secret') params[name] = param;
    const lifetime = this.expiresIn ?? 3600;
    this.issued.push({
      value,
      clientId: client.id,
      scope: request.form.get('scope') ?? undefined,
      audience: request.form.get('audience') ?? undefined,
      expiresAt: Date.now() + lifetime * 1000,
      method: client.method,
      params,
    });
    return {
      status: 200,
      body: { access_token: value, token_type: 'Bearer', ...(this.expiresIn !== undefined ? { expires_in: this.expiresIn } : {}) },
    };
  }

  /** The client, or why its authentication failed. Exactly one method may be used (§2.3). */
  private authenticate(request: TokenRequest): { id: string; method: ClientAuthMethod } | string {
    const header = request.headers.authorization;
    const formId = request.form.get('client_id');
    const formSecret = request.form.get('client_secret');
    if (header !== undefined && formSecret !== null) return 'more than one client authentication method';
    let id: string;
    let secret: string;
    let method: ClientAuthMethod;
    if (header !== undefined) {
      if (!header.startsWith('Basic ')) return 'unsupported authorization scheme';
      const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) return 'malformed basic credentials';
      id = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
      method = 'client_secret_basic';
    } else if (formId !== null && formSecret !== null) {
      id = formId;
      secret = formSecret;
      method = 'client_secret_post';
    } else {
      return 'no client authentication';
    }
    if (this.clients[id] === undefined || this.clients[id] !== secret) return 'unknown client or wrong secret';
    return { id, method };
  }
}

function formDecode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, ' '));
}
