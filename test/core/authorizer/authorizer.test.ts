import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizerPayload, parseAuthorizerResult } from '../../../lib/core/authorizer/index.js';
import type { AuthorizerDecision, HttpRequestData } from '../../../lib/core/authorizer/index.js';

const request: HttpRequestData = {
  headers: { 'X-Api-Key': 'secret', 'Content-Type': 'application/json' },
  query: { x: ['1', '2'] },
  body: { hello: 'world' },
  host: 'localhost:4000',
  path: '/users/42',
  method: 'POST',
  params: { id: '42' },
};

function assertDenied(result: Buffer | string): Extract<AuthorizerDecision, { allow: false }> {
  const decision = parseAuthorizerResult(result);
  assert.equal(decision.allow, false, `expected ${JSON.stringify(String(result))} to deny`);
  assert.ok(!decision.allow);
  assert.notEqual(decision.reason, '');
  return decision;
}

describe('Function: authorizerPayload', () => {
  it('wraps the event and the request with body and params set to null, keys in spec order', () => {
    const event = { eventType: 'http.request', cloudEventsVersion: '0.1', data: { params: null } };

    const payload = authorizerPayload(event, request);

    assert.equal(
      payload,
      '{"event":{"eventType":"http.request","cloudEventsVersion":"0.1","data":{"params":null}},' +
        '"request":{"headers":{"X-Api-Key":"secret","Content-Type":"application/json"},"query":{"x":["1","2"]},' +
        '"body":null,"host":"localhost:4000","path":"/users/42","method":"POST","params":null}}',
    );
  });

  it('leaves the caller\'s request object untouched', () => {
    const copy = structuredClone(request);

    authorizerPayload({}, request);

    assert.deepEqual(request, copy);
  });

  it('sends "request": null when there is no request data', () => {
    assert.equal(authorizerPayload({ eventType: 'a' }, null), '{"event":{"eventType":"a"},"request":null}');
  });

  it('serialises an event model through its toJSON', () => {
    const model = { toJSON: () => ({ eventType: 'user.created' }) };

    assert.equal(authorizerPayload(model, null), '{"event":{"eventType":"user.created"},"request":null}');
  });
});

describe('Function: parseAuthorizerResult', () => {
  describe('deny', () => {
    it('denies an empty result (conformance item 9)', () => {
      assertDenied('');
      assertDenied(Buffer.alloc(0));
      assertDenied('  \n');
    });

    it('denies a result with a non-null error (conformance item 10) and keeps its message in the reason', () => {
      const decision = assertDenied('{"error":{"message": "failed"}}');

      assert.match(decision.reason, /failed/);
    });

    it('denies an error object without a message, even {}', () => {
      assertDenied('{"error":{}}');
      assertDenied('{"error":{"message":null}}');
    });

    it('denies an error next to a valid authorization', () => {
      assertDenied('{"authorization":{"principalId":"testid"},"error":{"message":"no"}}');
    });

    it('denies a result that is not JSON', () => {
      assertDenied('not JSON');
      assertDenied('{"authorization":');
      assertDenied('{} trailing');
    });

    it('denies a result that is not an object', () => {
      assertDenied('[]');
      assertDenied('"allow"');
      assertDenied('1');
      assertDenied('true');
    });

    it('denies an authorization of the wrong type', () => {
      assertDenied('{"authorization":"testid"}');
      assertDenied('{"authorization":[]}');
      assertDenied('{"authorization":true}');
    });

    it('denies a principalId that is not a string', () => {
      assertDenied('{"authorization":{"principalId":42}}');
      assertDenied('{"authorization":{"principalId":{"id":"x"}}}');
    });

    it('denies a context that is not an object of strings', () => {
      assertDenied('{"authorization":{"principalId":"a","context":{"n":1}}}');
      assertDenied('{"authorization":{"principalId":"a","context":{"ok":"1","b":true}}}');
      assertDenied('{"authorization":{"principalId":"a","context":{"o":{}}}}');
      assertDenied('{"authorization":{"principalId":"a","context":["a"]}}');
      assertDenied('{"authorization":{"principalId":"a","context":"a=b"}}');
    });

    it('denies an error of the wrong type, including false and a non-string message', () => {
      assertDenied('{"error":"denied"}');
      assertDenied('{"error":false}');
      assertDenied('{"error":[]}');
      assertDenied('{"error":{"message":403}}');
    });
  });

  describe('allow', () => {
    it('allows {} with authorization null (principalId is not enforced)', () => {
      assert.deepEqual(parseAuthorizerResult('{}'), { allow: true, authorization: null });
    });

    it('allows a JSON null with authorization null, as Go decoded it', () => {
      assert.deepEqual(parseAuthorizerResult('null'), { allow: true, authorization: null });
    });

    it('allows a principalId without context (conformance item 11)', () => {
      assert.deepEqual(parseAuthorizerResult(Buffer.from('{"authorization":{"principalId": "testid"}}')), {
        allow: true,
        authorization: { principalId: 'testid', context: null },
      });
    });

    it('allows a principalId with a string context', () => {
      assert.deepEqual(
        parseAuthorizerResult('{"authorization":{"principalId":"u1","context":{"role":"admin","org":"x"}},"error":null}'),
        { allow: true, authorization: { principalId: 'u1', context: { role: 'admin', org: 'x' } } },
      );
    });

    it('allows an empty authorization object with an empty principalId', () => {
      assert.deepEqual(parseAuthorizerResult('{"authorization":{}}'), {
        allow: true,
        authorization: { principalId: '', context: null },
      });
    });

    it('allows an explicit null authorization with authorization null', () => {
      assert.deepEqual(parseAuthorizerResult('{"authorization":null,"error":null}'), {
        allow: true,
        authorization: null,
      });
    });

    it('reads null principalId and context values as Go\'s zero values', () => {
      assert.deepEqual(parseAuthorizerResult('{"authorization":{"principalId":null,"context":{"a":null}}}'), {
        allow: true,
        authorization: { principalId: '', context: { a: '' } },
      });
    });

    it('matches keys case-insensitively and ignores unknown ones', () => {
      assert.deepEqual(
        parseAuthorizerResult('{"Authorization":{"PrincipalID":"x","CONTEXT":{"k":"v"},"extra":1},"other":[true]}'),
        { allow: true, authorization: { principalId: 'x', context: { k: 'v' } } },
      );
    });

    it('keeps a context key named __proto__ as plain data', () => {
      const decision = parseAuthorizerResult('{"authorization":{"principalId":"x","context":{"__proto__":"v"}}}');

      assert.ok(decision.allow && decision.authorization?.context);
      assert.deepEqual(Object.entries(decision.authorization.context), [['__proto__', 'v']]);
    });
  });
});
