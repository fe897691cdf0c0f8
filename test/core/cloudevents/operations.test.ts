import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  eventTypeOf,
  serializeEvent,
  systemEvent,
  SystemEventTypes,
  withAuthorization,
  withHttpParams,
  type CloudEventV01,
  type CloudEventV1,
  type GatewayEvent,
} from '../../../lib/core/cloudevents/index.js';
import { FIXED_ID, FIXED_TIME, GATEWAY_EXTENSIONS, GATEWAY_SOURCE, clock, parseOne, plain } from './helpers.js';

const STRUCTURED = ['Content-Type', 'application/cloudevents+json'];

function paramsOf(event: GatewayEvent): unknown {
  return plain((event.data as { params: unknown }).params);
}

function extensionsOf(event: GatewayEvent): unknown {
  return plain((event as CloudEventV01).extensions);
}

describe('withAuthorization', () => {
  it('adds the authorization to a gateway-made event\'s eventgateway extension (conformance item 11)', () => {
    const event = parseOne({});
    const authorized = withAuthorization(event, { principalId: 'testid' });
    assert.deepEqual(extensionsOf(authorized), {
      eventgateway: { ...GATEWAY_EXTENSIONS.eventgateway, authorization: { principalId: 'testid', context: null } },
    });
  });

  it('creates extensions.eventgateway on a client event that has none (conformance item 12)', () => {
    const event = parseOne({
      headers: STRUCTURED,
      body: '{"eventId":"test","eventType":"test.event","eventTypeVersion":"0.1","cloudEventsVersion":"0.1","source":"/"}',
    });
    const authorized = withAuthorization(event, { principalId: 'testid', context: { role: 'admin' } });
    assert.equal(
      serializeEvent(authorized),
      '{"eventType":"test.event","eventTypeVersion":"0.1","cloudEventsVersion":"0.1","source":"/","eventID":"test",' +
        '"extensions":{"eventgateway":{"authorization":{"principalId":"testid","context":{"role":"admin"}}}},"data":null}',
    );
  });

  it('adds to a client eventgateway object, keeping the client\'s other extensions', () => {
    const event = parseOne({
      headers: STRUCTURED,
      body: '{"eventType":"e","cloudEventsVersion":"0.1","source":"/","eventID":"1","extensions":{"eventgateway":{"mine":"x"},"other":1}}',
    });
    assert.deepEqual(extensionsOf(withAuthorization(event, { principalId: 'p' })), {
      eventgateway: { mine: 'x', authorization: { principalId: 'p', context: null } },
      other: 1,
    });
  });

  it('replaces other client extensions when there is no eventgateway object, as the original did (docs/compatibility.md#authorizers)', () => {
    const event = parseOne({
      headers: STRUCTURED,
      body: '{"eventType":"e","cloudEventsVersion":"0.1","source":"/","eventID":"1","extensions":{"other":1,"eventgateway":"str"}}',
    });
    assert.deepEqual(extensionsOf(withAuthorization(event, { principalId: 'p' })), {
      eventgateway: { authorization: { principalId: 'p', context: null } },
    });
  });

  it('attaches null for an authorizer that allowed without an authorization, and "" for a missing principalId', () => {
    assert.deepEqual(extensionsOf(withAuthorization(parseOne({}), null)), {
      eventgateway: { ...GATEWAY_EXTENSIONS.eventgateway, authorization: null },
    });
    const empty = withAuthorization(parseOne({}), {}) as CloudEventV01;
    assert.deepEqual(plain((empty.extensions?.['eventgateway'] as { authorization: unknown }).authorization), {
      principalId: '',
      context: null,
    });
  });

  it('leaves its input untouched and returns a frozen event', () => {
    const event = parseOne({});
    const before = JSON.stringify(event);
    const authorized = withAuthorization(event, { principalId: 'x' });
    assert.equal(JSON.stringify(event), before);
    assert.ok(Object.isFrozen(authorized));
    assert.ok(Object.isFrozen((authorized as CloudEventV01).extensions));
  });

  it('sets the egauthorization extension of a 1.0 event to the JSON text, before the data', () => {
    const event = parseOne({
      headers: STRUCTURED,
      body: '{"specversion":"1.0","id":"1","source":"/","type":"t","ext":"a","data":{"x":1}}',
    });
    const authorized = withAuthorization(event, { principalId: 'testid', context: { a: 'b' } });
    assert.equal(
      serializeEvent(authorized),
      '{"specversion":"1.0","id":"1","source":"/","type":"t","ext":"a",' +
        '"egauthorization":"{\\"principalId\\":\\"testid\\",\\"context\\":{\\"a\\":\\"b\\"}}","data":{"x":1}}',
    );
    assert.equal((withAuthorization(event, null) as CloudEventV1)['egauthorization'], 'null');
  });
});

describe('withHttpParams', () => {
  it('sets data.params of an http.request event, in both versions', () => {
    for (const gatewayEventVersion of ['0.1', '1.0'] as const) {
      const event = parseOne({ path: '/users/42' }, { gatewayEventVersion });
      const synced = withHttpParams(event, { id: '42' });
      assert.deepEqual(paramsOf(synced), { id: '42' });
      assert.equal(paramsOf(event), null);
      assert.deepEqual(Object.keys((synced as { data: object }).data), ['headers', 'query', 'body', 'host', 'path', 'method', 'params']);
      assert.ok(Object.isFrozen(synced));
    }
  });

  it('accepts empty params and null', () => {
    const event = parseOne({});
    assert.deepEqual(paramsOf(withHttpParams(event, {})), {});
    assert.equal(paramsOf(withHttpParams(event, null)), null);
  });

  it('returns any other event unchanged', () => {
    const legacy = parseOne({ headers: ['Event', 'e'] });
    assert.equal(withHttpParams(legacy, { a: 'b' }), legacy);
    const client = parseOne({ headers: STRUCTURED, body: '{"eventType":"http.request","cloudEventsVersion":"0.1","source":"/","eventID":"1","data":"x"}' });
    assert.equal(withHttpParams(client, { a: 'b' }), client);
  });
});

describe('serializeEvent', () => {
  it('writes 0.1 keys in spec order whatever order the object has, omitting empty members', () => {
    const handMade = {
      data: { a: 1 },
      contentType: '',
      extensions: {},
      eventID: '1',
      source: '/',
      cloudEventsVersion: '0.1',
      eventTypeVersion: 'v2',
      eventType: 'e',
      eventTime: '2018-01-01T00:00:00Z',
      schemaURL: 'https://s',
    } as CloudEventV01;
    assert.equal(
      serializeEvent(handMade),
      '{"eventType":"e","eventTypeVersion":"v2","cloudEventsVersion":"0.1","source":"/","eventID":"1",' +
        '"eventTime":"2018-01-01T00:00:00Z","schemaURL":"https://s","data":{"a":1}}',
    );
  });

  it('writes data null when a 0.1 event has none', () => {
    const handMade = { eventType: 'e', cloudEventsVersion: '0.1', source: '/', eventID: '1' } as unknown as CloudEventV01;
    assert.equal(serializeEvent(handMade), '{"eventType":"e","cloudEventsVersion":"0.1","source":"/","eventID":"1","data":null}');
  });

  it('writes 1.0 context attributes first, then extensions, then data', () => {
    const handMade = { data: 1, ext: 'x', type: 't', source: '/', id: '1', specversion: '1.0', time: '2018-01-01T00:00:00Z' } as CloudEventV1;
    assert.equal(
      serializeEvent(handMade),
      '{"specversion":"1.0","id":"1","source":"/","type":"t","time":"2018-01-01T00:00:00Z","ext":"x","data":1}',
    );
  });
});

describe('systemEvent', () => {
  it('makes a 0.1 gateway event with contentType application/json that embeds the event it is about', () => {
    const received = parseOne({ headers: ['Event', 'user.created'], body: 'x' });
    const system = systemEvent(SystemEventTypes.eventReceived, { path: '/', event: received, headers: {} }, '0.1', clock);
    assert.deepEqual(plain(system), {
      eventType: 'eventgateway.event.received',
      cloudEventsVersion: '0.1',
      source: GATEWAY_SOURCE,
      eventID: FIXED_ID,
      eventTime: FIXED_TIME,
      extensions: GATEWAY_EXTENSIONS,
      contentType: 'application/json',
      data: { path: '/', event: plain(received), headers: {} },
    });
  });

  it('makes a 1.0 event when asked', () => {
    const system = systemEvent(SystemEventTypes.functionInvoked, { space: 'default', functionId: 'f' }, '1.0', clock);
    assert.deepEqual(plain(system), {
      specversion: '1.0',
      id: FIXED_ID,
      source: GATEWAY_SOURCE,
      type: 'eventgateway.function.invoked',
      datacontenttype: 'application/json',
      time: FIXED_TIME,
      egtransformed: 'true',
      egtransformversion: '0.1',
      data: { space: 'default', functionId: 'f' },
    });
  });
});

describe('eventTypeOf', () => {
  it('reads eventType of 0.1 and type of 1.0', () => {
    assert.equal(eventTypeOf(parseOne({ headers: ['Event', 'a.b'] })), 'a.b');
    assert.equal(eventTypeOf(parseOne({ headers: ['Event', 'a.b'] }, { gatewayEventVersion: '1.0' })), 'a.b');
  });
});
