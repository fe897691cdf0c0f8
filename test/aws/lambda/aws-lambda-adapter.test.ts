import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  configResponseToLambdaResult,
  lambdaConfigHandler,
  lambdaEventFlavour,
  lambdaEventToConfigRequest,
} from '../../../lib/config-api/adapters/index.js';
import type { ConfigRequest } from '../../../lib/config-api/index.js';
import { albEvent, albMultiValueEvent, apiGatewayV2Event } from './events.js';

/** A handler that answers with the request it was given, to see the translation. */
const echo = lambdaConfigHandler(async (request: ConfigRequest) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json', 'set-cookie': 'session=abc; HttpOnly' },
  body: JSON.stringify(request),
}));

describe('the config API Lambda adapter [lambda-handler]', () => {
  it('picks the processor by the event\'s shape', () => {
    assert.equal(lambdaEventFlavour(albEvent({ method: 'GET', url: '/' })), 'alb');
    assert.equal(lambdaEventFlavour(apiGatewayV2Event({ method: 'GET', url: '/' })), 'apigateway-v2');
    assert.equal(lambdaEventFlavour({ httpMethod: 'GET', path: '/', requestContext: { resourceId: 'x' } }), undefined);
    assert.equal(lambdaEventFlavour(null), undefined);
    assert.equal(lambdaEventFlavour('GET /'), undefined);
  });

  it('keeps an ALB path and query as sent, encoding only what cannot stand literally in them', () => {
    const event = albEvent({ method: 'GET', url: '/v1/spaces/x/cors/GET%2Fhello' });
    event.path = '/v1/spaces/x/cors/GET%2Fhello wörld%';
    event.queryStringParameters = { 'metadata.team': 'a%20b', raw: 'c d#e', 'k=ey': '1', plus: 'x+y' };
    const request = lambdaEventToConfigRequest(event);
    assert.equal(request.method, 'GET');
    assert.equal(request.rawPath, '/v1/spaces/x/cors/GET%2Fhello%20w%C3%B6rld%25');
    assert.equal(request.rawQuery, 'metadata.team=a%20b&raw=c%20d%23e&k%3Dey=1&plus=x+y');
  });

  it('repeats multi-value query parameters and joins multi-value headers (cookies with "; ")', () => {
    const request = lambdaEventToConfigRequest(albMultiValueEvent({
      method: 'GET',
      url: '/v1/status?a=1&a=2&b=',
      headers: { Accept: ['application/json', 'text/plain'], Cookie: ['a=1', 'b=2'] },
    }));
    assert.equal(request.rawQuery, 'a=1&a=2&b=');
    assert.equal(request.headers.accept, 'application/json, text/plain');
    assert.equal(request.headers.cookie, 'a=1; b=2');
  });

  it('takes the v2 raw query as is, its cookies as a cookie header, and leaves the $default stage alone', () => {
    const request = lambdaEventToConfigRequest(apiGatewayV2Event({
      method: 'DELETE',
      url: '/v1/spaces/x/functions?metadata.a=b%26c',
      headers: { Authorization: 'bearer k' },
      cookies: ['a=1', 'b=2'],
    }));
    assert.deepEqual(
      { method: request.method, rawPath: request.rawPath, rawQuery: request.rawQuery, cookie: request.headers.cookie, auth: request.headers.authorization },
      { method: 'DELETE', rawPath: '/v1/spaces/x/functions', rawQuery: 'metadata.a=b%26c', cookie: 'a=1; b=2', auth: 'bearer k' },
    );
  });

  it('re-encodes a CORS id that an HTTP API handed over decoded, and keeps an encoded one', () => {
    const rawPath = (url: string) => lambdaEventToConfigRequest(apiGatewayV2Event({ method: 'GET', url })).rawPath;
    assert.equal(rawPath('/v1/spaces/x/cors/GET/hello/:id'), '/v1/spaces/x/cors/GET%2Fhello%2F:id');
    assert.equal(rawPath('/v1/spaces/x/cors/POST/'), '/v1/spaces/x/cors/POST%2F');
    assert.equal(rawPath('/v1/spaces/x/cors/GET%2Fhello'), '/v1/spaces/x/cors/GET%2Fhello');
    assert.equal(rawPath('/v1/spaces/x/functions/a'), '/v1/spaces/x/functions/a');
  });

  it('strips a named stage only when the path starts with it', () => {
    const onStage = (url: string, stage: string) => lambdaEventToConfigRequest(apiGatewayV2Event({ method: 'GET', url, stage })).rawPath;
    assert.equal(onStage('/v1/status', 'prod'), '/v1/status');
    assert.equal(onStage('', 'prod'), '/');
    const event = apiGatewayV2Event({ method: 'GET', url: '/v1/status', stage: 'prod' });
    event.rawPath = '/production/v1/status';
    assert.equal(lambdaEventToConfigRequest(event).rawPath, '/production/v1/status');
  });

  it('answers in the result shape of the event: statusDescription and multiValueHeaders for ALB, cookies for v2', async () => {
    const single = await echo(albEvent({ method: 'GET', url: '/v1/status' }));
    assert.deepEqual(Object.keys(single).sort(), ['body', 'headers', 'isBase64Encoded', 'statusCode', 'statusDescription']);
    assert.equal((single as { statusDescription: string }).statusDescription, '200 OK');
    const multi = await echo(albMultiValueEvent({ method: 'GET', url: '/v1/status' }));
    assert.deepEqual((multi as { multiValueHeaders: unknown }).multiValueHeaders, {
      'content-type': ['application/json'],
      'set-cookie': ['session=abc; HttpOnly'],
    });
    assert.equal((multi as { headers?: unknown }).headers, undefined);
    const v2 = await echo(apiGatewayV2Event({ method: 'GET', url: '/v1/status' }));
    assert.deepEqual(v2, {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      cookies: ['session=abc; HttpOnly'],
      body: (v2 as { body: string }).body,
      isBase64Encoded: false,
    });
    assert.equal(
      (configResponseToLambdaResult(albEvent({ method: 'GET', url: '/' }), { statusCode: 599, headers: {}, body: '' }) as { statusDescription: string })
        .statusDescription,
      '599 Unknown',
    );
  });

  it('refuses a body over the limit with 413, counting decoded bytes, and never throws', async () => {
    const small = lambdaConfigHandler(async () => ({ statusCode: 200, headers: {}, body: 'ok' }), { maxBodyBytes: 4 });
    assert.equal((await small(apiGatewayV2Event({ method: 'POST', url: '/', body: 'abcd', base64: true }))).statusCode, 200);
    const tooLarge = await small(albEvent({ method: 'POST', url: '/', body: 'abcde' }));
    assert.equal(tooLarge.statusCode, 413);
    assert.equal(tooLarge.body, '{"errors":[{"message":"Request body too large: the limit is 4 bytes."}]}\n');
    const throwing = lambdaConfigHandler(async () => {
      throw new Error('boom');
    });
    const failed = await throwing(albEvent({ method: 'GET', url: '/' }));
    assert.equal(failed.statusCode, 500);
    assert.equal(failed.body, '{"errors":[{"message":"Internal Server Error"}]}\n');
  });

  it('answers a malformed event of no known flavour in the v2 shape', async () => {
    assert.deepEqual(await echo({ requestContext: {} }), {
      statusCode: 400,
      headers: { 'content-type': 'application/json' },
      body: '{"errors":[{"message":"Bad Request: the Lambda event is neither an ALB request nor an API Gateway HTTP API (payload 2.0) request."}]}\n',
      isBase64Encoded: false,
    });
    const badQuery = await echo({ ...albEvent({ method: 'GET', url: '/' }), queryStringParameters: { a: 1 } });
    assert.equal(badQuery.statusCode, 400);
    assert.equal(badQuery.body, '{"errors":[{"message":"Bad Request: the ALB event\'s query parameter \\"a\\" is not a string."}]}\n');
    const relative = await echo({ ...apiGatewayV2Event({ method: 'GET', url: '/' }), rawPath: 'v1/status' });
    assert.equal(relative.body, '{"errors":[{"message":"Bad Request: the API Gateway v2 event\'s \\"rawPath\\" does not start with \\"/\\"."}]}\n');
  });
});
