import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decode,
  decodeNode,
  defineStruct,
  GoJsonError,
  MAX_DEPTH,
  parseFirstValue,
  quoteChar,
  type GoJsonErrorCode,
} from '../../../../lib/core/go/index.js';

const RETRY = defineStruct({
  name: 'RetryPolicy',
  goType: 'subscription.RetryPolicy',
  fields: [{ json: 'maxAttempts', go: 'MaxAttempts', kind: 'int', goType: 'int', pointer: true }],
});

const SAMPLE = defineStruct({
  name: 'Sample',
  goType: 'sample.Sample',
  fields: [
    { json: 'space', go: 'Space', kind: 'string', goType: 'string' },
    { json: 'functionId', go: 'FunctionID', kind: 'string', goType: 'function.ID' },
    { json: 'authorizerId', go: 'AuthorizerID', kind: 'string', goType: 'function.ID', pointer: true },
    { json: 'enabled', go: 'Enabled', kind: 'bool', goType: 'bool' },
    { json: 'count', go: 'Count', kind: 'int', goType: 'int' },
    { json: 'list', go: 'List', kind: 'stringArray', goType: '[]string' },
    { json: 'metadata', go: 'Metadata', kind: 'stringMap', goType: 'metadata.Metadata' },
    { json: 'retry', go: 'Retry', kind: 'struct', goType: 'subscription.RetryPolicy', schema: RETRY },
    { json: 'provider', go: 'Provider', kind: 'raw', goType: 'json.RawMessage' },
  ],
});

function failure(run: () => unknown): GoJsonError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof GoJsonError, `expected a GoJsonError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an error');
}

function expectError(input: string | Uint8Array, code: GoJsonErrorCode, message: string): void {
  const error = failure(() => decode(input, SAMPLE));
  assert.equal(error.message, message);
  assert.equal(error.code, code);
}

describe('gojson decode: reading the first value like json.Decoder.Decode', () => {
  it('reports EOF for an empty or whitespace-only body', () => {
    expectError('', 'EOF', 'EOF');
    expectError(' \t\r\n ', 'EOF', 'EOF');
    expectError(new Uint8Array(0), 'EOF', 'EOF');
  });

  it('reports unexpected EOF for every value cut short', () => {
    for (const input of ['{', '{"name":"te', '[', '"abc', 't', 'tru', 'nul', 'fals', '-', '1.', '1e', '1e+', '{"a"', '{"a" ',
      '{"a":', '{"a":1', '{"a":1,', '{"a":1, ', '"\\', '"\\u12', '[1', '[1,', '[{"a":[]', '  {  ']) {
      expectError(input, 'UNEXPECTED_EOF', 'unexpected EOF');
    }
  });

  it('ignores whatever follows the first complete value', () => {
    assert.deepEqual(decode('{"space":"a"} trailing garbage {', SAMPLE), { space: 'a' });
    assert.deepEqual(decode('{"space":"a"}{"space":"b"}', SAMPLE), { space: 'a' });
    assert.deepEqual(decode('\n {"space":"a"}\u0000\u00ff', SAMPLE), { space: 'a' });
    assert.deepEqual(parseFirstValue('123abc'), { kind: 'number', text: '123' });
    assert.deepEqual(parseFirstValue('01'), { kind: 'number', text: '0' });
    assert.deepEqual(parseFirstValue('truex'), { kind: 'bool', value: true });
    assert.deepEqual(parseFirstValue('"a"b'), { kind: 'string', value: 'a' });
    assert.deepEqual(parseFirstValue('[]]'), { kind: 'array', items: [] });
  });

  it('gives the scanner messages for syntax errors', () => {
    const cases: Array<[string, string]> = [
      ['x', "invalid character 'x' looking for beginning of value"],
      ['}', "invalid character '}' looking for beginning of value"],
      ["'a'", "invalid character '\\'' looking for beginning of value"],
      ['\\', "invalid character '\\\\' looking for beginning of value"],
      ['{"a" 1}', "invalid character '1' after object key"],
      ['{"a"}', "invalid character '}' after object key"],
      ['{"a":1 "b":2}', 'invalid character \'"\' after object key:value pair'],
      ['{"a":1]', "invalid character ']' after object key:value pair"],
      ['{1:2}', "invalid character '1' looking for beginning of object key string"],
      ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
      ['{"a":}', "invalid character '}' looking for beginning of value"],
      ['[1 2]', "invalid character '2' after array element"],
      ['[1}', "invalid character '}' after array element"],
      ['[01]', "invalid character '1' after array element"],
      ['[1,]', "invalid character ']' looking for beginning of value"],
      ['[,1]', "invalid character ',' looking for beginning of value"],
      ['tx', "invalid character 'x' in literal true (expecting 'r')"],
      ['trUe', "invalid character 'U' in literal true (expecting 'u')"],
      ['tru ', "invalid character ' ' in literal true (expecting 'e')"],
      ['fals_', "invalid character '_' in literal false (expecting 'e')"],
      ['fAlse', "invalid character 'A' in literal false (expecting 'a')"],
      ['nul!', "invalid character '!' in literal null (expecting 'l')"],
      ['nUll', "invalid character 'U' in literal null (expecting 'u')"],
      ['-a', "invalid character 'a' in numeric literal"],
      ['- 1', "invalid character ' ' in numeric literal"],
      ['1.a', "invalid character 'a' after decimal point in numeric literal"],
      ['[1.]', "invalid character ']' after decimal point in numeric literal"],
      ['1ea', "invalid character 'a' in exponent of numeric literal"],
      ['1e+a', "invalid character 'a' in exponent of numeric literal"],
      ['"\\x"', "invalid character 'x' in string escape code"],
      ['"\\\'"', "invalid character '\\'' in string escape code"],
      ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
      ['"a\nb"', "invalid character '\\n' in string literal"],
      ['"\t"', "invalid character '\\t' in string literal"],
      ['"\u0000"', "invalid character '\\x00' in string literal"],
      ['\f', "invalid character '\\f' looking for beginning of value"],
      ['\v', "invalid character '\\v' looking for beginning of value"],
      ['\u001b', "invalid character '\\x1b' looking for beginning of value"],
      ['\u007f', "invalid character '\\x7f' looking for beginning of value"],
      ['é', "invalid character 'Ã' looking for beginning of value"],
      ['\ufeff{}', "invalid character 'ï' looking for beginning of value"],
      ['{"a":1}'.replace('1', 'é'), "invalid character 'Ã' looking for beginning of value"],
    ];
    for (const [input, message] of cases) expectError(input, 'SYNTAX', message);
  });

  it('quotes raw bytes as Go does, treating each byte as a rune', () => {
    assert.equal(quoteChar(0x80), "'\\u0080'");
    assert.equal(quoteChar(0xa0), "'\\u00a0'");
    assert.equal(quoteChar(0xad), "'\\u00ad'");
    assert.equal(quoteChar(0xff), "'ÿ'");
    assert.equal(quoteChar(0x07), "'\\a'");
    assert.equal(quoteChar(0x08), "'\\b'");
    assert.equal(quoteChar(0x0d), "'\\r'");
    assert.equal(quoteChar(0x22), `'"'`);
    assert.equal(quoteChar(0x20), "' '");
    expectError(Uint8Array.of(0x80), 'SYNTAX', "invalid character '\\u0080' looking for beginning of value");
    expectError(Uint8Array.of(0x7b, 0xff), 'SYNTAX', "invalid character 'ÿ' looking for beginning of object key string");
  });

  it('decodes string escapes, surrogate pairs and bad UTF-8 the way Go unquotes', () => {
    const value = (json: string | Uint8Array) => {
      const node = parseFirstValue(json);
      assert.equal(node.kind, 'string');
      return node.kind === 'string' ? node.value : '';
    };
    assert.equal(value('"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t"'), 'a"b\\c/d\b\f\n\r\t');
    assert.equal(value('"\\u00e9\\u0000"'), 'é\u0000');
    assert.equal(value('"\\ud83d\\ude00"'), '😀');
    assert.equal(value('"\\ud83d"'), '\ufffd');
    assert.equal(value('"\\ude00\\ud83d x"'), '\ufffd\ufffd x');
    assert.equal(value('"\\ud83d\\u0041"'), '\ufffdA');
    assert.equal(value('"é😀"'), 'é😀');
    assert.equal(value(Uint8Array.of(0x22, 0xc3, 0x22)), '\ufffd');
    assert.equal(value(Uint8Array.of(0x22, 0xf0, 0x9f, 0x98, 0x22)), '\ufffd\ufffd\ufffd');
    assert.equal(value(Uint8Array.of(0x22, 0xed, 0xa0, 0x80, 0x22)), '\ufffd\ufffd\ufffd'); // UTF-8 encoded surrogate
    assert.equal(value(Uint8Array.of(0x22, 0xc0, 0xaf, 0x22)), '\ufffd\ufffd'); // overlong
    assert.equal(value(Uint8Array.of(0x22, 0x61, 0xff, 0x62, 0x22)), 'a\ufffdb');
    assert.equal(value('"\ufeffa"'), '\ufeffa'); // a byte-order mark inside a string is content
    assert.equal(value(`"${'x'.repeat(100)}"`), 'x'.repeat(100));
    assert.equal(value(`"${'é'.repeat(100)}\\n"`), `${'é'.repeat(100)}\n`);
  });

  it('rejects nesting deeper than the limit without overflowing the stack', () => {
    assert.equal(MAX_DEPTH, 64);
    assert.doesNotThrow(() => parseFirstValue('['.repeat(64) + ']'.repeat(64)));
    assert.doesNotThrow(() => decode(`{"x":${'{"a":'.repeat(63)}1${'}'.repeat(63)}}`, SAMPLE));
    const message = 'JSON nesting exceeds the maximum depth of 64';
    expectError('['.repeat(65) + ']'.repeat(65), 'DEPTH', message);
    expectError(`{"x":${'['.repeat(64)}`, 'DEPTH', message);
    expectError('['.repeat(1_000_000), 'DEPTH', message);
    expectError('{"a":'.repeat(500_000), 'DEPTH', message);
  });
});

describe('gojson decode: applying a value to a struct schema', () => {
  it('matches keys case-insensitively, with Go folding of ſ and the Kelvin sign', () => {
    assert.deepEqual(decode('{"functionID":"a"}', SAMPLE), { functionId: 'a' });
    assert.deepEqual(decode('{"FunctionId":"a"}', SAMPLE), { functionId: 'a' });
    assert.deepEqual(decode('{"FUNCTIONID":"a","SPACE":"s"}', SAMPLE), { functionId: 'a', space: 's' });
    assert.deepEqual(decode('{"ſpace":"s"}', SAMPLE), { space: 's' });
    assert.deepEqual(decode('{"\\u0073pace":"s"}', SAMPLE), { space: 's' });
    assert.deepEqual(decode('{"spaceX":"s","spac":"t","ıd":"x"}', SAMPLE), {});
  });

  it('prefers an exact key match, and otherwise the first field that folds the same', () => {
    const schema = defineStruct({
      name: 'Twins',
      goType: 'x.Twins',
      fields: [
        { json: 'name', go: 'Name', kind: 'string', goType: 'string' },
        { json: 'NAME', go: 'Upper', kind: 'string', goType: 'string' },
      ],
    });
    assert.deepEqual(decode('{"NAME":"u","name":"l"}', schema), { NAME: 'u', name: 'l' });
    assert.deepEqual(decode('{"Name":"x"}', schema), { name: 'x' });
  });

  it('ignores unknown keys whatever their values', () => {
    assert.deepEqual(decode('{"x":{"y":[1,{"z":null}]},"space":"s","unknown":true}', SAMPLE), { space: 's' });
  });

  it('lets the last of repeated keys win, with null keeping a scalar and clearing a pointer', () => {
    assert.deepEqual(decode('{"space":"a","space":"b"}', SAMPLE), { space: 'b' });
    assert.deepEqual(decode('{"space":"a","SPACE":"b"}', SAMPLE), { space: 'b' });
    assert.deepEqual(decode('{"space":"a","space":null}', SAMPLE), { space: 'a' });
    assert.deepEqual(decode('{"enabled":true,"enabled":null,"count":3,"count":null}', SAMPLE), { enabled: true, count: 3 });
    assert.deepEqual(decode('{"authorizerId":"a","authorizerId":null}', SAMPLE), {});
    assert.deepEqual(decode('{"authorizerId":""}', SAMPLE), { authorizerId: '' });
    assert.deepEqual(decode('{"list":["a"],"list":["b","c"]}', SAMPLE), { list: ['b', 'c'] });
    assert.deepEqual(decode('{"list":["a"],"list":null}', SAMPLE), {});
    assert.deepEqual(decode('{"provider":{"a":1},"provider":null}', SAMPLE), {});
  });

  it('leaves everything unset for JSON null at the top or in fields', () => {
    assert.deepEqual(decode('null', SAMPLE), {});
    assert.deepEqual(
      decode('{"space":null,"functionId":null,"enabled":null,"count":null,"list":null,"metadata":null,"retry":null,"provider":null}', SAMPLE),
      {},
    );
  });

  it('merges repeated maps and nested structs, as Go reuses them', () => {
    assert.deepEqual(decode('{"metadata":{"a":"1","b":"x"},"metadata":{"b":"2"}}', SAMPLE), { metadata: { a: '1', b: '2' } });
    assert.deepEqual(decode('{"metadata":{"a":"1"},"metadata":null,"metadata":{"c":"3"}}', SAMPLE), { metadata: { c: '3' } });
    assert.deepEqual(decode('{"retry":{"maxAttempts":3},"retry":{}}', SAMPLE), { retry: { maxAttempts: 3 } });
    assert.deepEqual(decode('{"retry":{"maxAttempts":3},"retry":{"maxAttempts":null}}', SAMPLE), { retry: {} });
  });

  it('turns null elements of lists and maps into empty strings', () => {
    assert.deepEqual(decode('{"list":["a",null],"metadata":{"k":null}}', SAMPLE), { list: ['a', ''], metadata: { k: '' } });
  });

  it('keeps a "__proto__" map key as plain data', () => {
    const decoded = decode('{"metadata":{"__proto__":"x","constructor":"y"}}', SAMPLE);
    assert.equal(Object.getPrototypeOf(decoded.metadata), Object.prototype);
    assert.deepEqual(Object.entries(decoded.metadata ?? {}), [['__proto__', 'x'], ['constructor', 'y']]);
    assert.equal(JSON.stringify(decoded.metadata), '{"__proto__":"x","constructor":"y"}');
  });

  it('decodes Go ints exactly and reports other numbers with their text', () => {
    assert.deepEqual(decode('{"count":-9223372036854775808}', SAMPLE), { count: -9223372036854775808 });
    assert.ok(Object.is(decode('{"count":-0}', SAMPLE).count, 0)); // a Go int has no negative zero
    expectError('{"count":1.5}', 'TYPE', 'json: cannot unmarshal number 1.5 into Go struct field Sample.count of type int');
    expectError('{"count":1e3}', 'TYPE', 'json: cannot unmarshal number 1e3 into Go struct field Sample.count of type int');
    expectError('{"count":9223372036854775808}', 'TYPE',
      'json: cannot unmarshal number 9223372036854775808 into Go struct field Sample.count of type int');
  });

  it('reports type mismatches with Go struct field paths and Go types', () => {
    const cases: Array<[string, string]> = [
      ['{"space":1}', 'json: cannot unmarshal number into Go struct field Sample.space of type string'],
      ['{"functionId":true}', 'json: cannot unmarshal bool into Go struct field Sample.functionId of type function.ID'],
      ['{"authorizerId":[]}', 'json: cannot unmarshal array into Go struct field Sample.authorizerId of type function.ID'],
      ['{"enabled":"yes"}', 'json: cannot unmarshal string into Go struct field Sample.enabled of type bool'],
      ['{"count":"3"}', 'json: cannot unmarshal string into Go struct field Sample.count of type int'],
      ['{"list":"a"}', 'json: cannot unmarshal string into Go struct field Sample.list of type []string'],
      ['{"list":{}}', 'json: cannot unmarshal object into Go struct field Sample.list of type []string'],
      ['{"list":["a",1]}', 'json: cannot unmarshal number into Go struct field Sample.list of type string'],
      ['{"metadata":[]}', 'json: cannot unmarshal array into Go struct field Sample.metadata of type metadata.Metadata'],
      ['{"metadata":{"a":{}}}', 'json: cannot unmarshal object into Go struct field Sample.metadata of type string'],
      ['{"retry":5}', 'json: cannot unmarshal number into Go struct field Sample.retry of type subscription.RetryPolicy'],
      ['{"retry":{"maxAttempts":"x"}}', 'json: cannot unmarshal string into Go struct field RetryPolicy.retry.maxAttempts of type int'],
      ['{"Retry":{"MAXATTEMPTS":false}}', 'json: cannot unmarshal bool into Go struct field RetryPolicy.retry.maxAttempts of type int'],
    ];
    for (const [input, message] of cases) expectError(input, 'TYPE', message);
  });

  it('reports a top-level value of the wrong kind against the Go type', () => {
    expectError('[1]', 'TYPE', 'json: cannot unmarshal array into Go value of type sample.Sample');
    expectError('"x"', 'TYPE', 'json: cannot unmarshal string into Go value of type sample.Sample');
    expectError('12', 'TYPE', 'json: cannot unmarshal number into Go value of type sample.Sample');
    expectError('true', 'TYPE', 'json: cannot unmarshal bool into Go value of type sample.Sample');
  });

  it('keeps decoding after a type error and reports the first one', () => {
    expectError('{"space":1,"functionId":2}', 'TYPE', 'json: cannot unmarshal number into Go struct field Sample.space of type string');
    expectError('{"retry":{"maxAttempts":"x"},"space":1}', 'TYPE',
      'json: cannot unmarshal string into Go struct field RetryPolicy.retry.maxAttempts of type int');
  });

  it('puts syntax errors before type errors anywhere in the value', () => {
    expectError('{"space":1,"x":]', 'SYNTAX', "invalid character ']' looking for beginning of value");
    expectError('{"space":1,', 'UNEXPECTED_EOF', 'unexpected EOF');
  });

  it('keeps raw values for a later decode of their own', () => {
    const decoded = decode('{"provider":{"maxAttempts":7,"x":[1]}}', SAMPLE);
    assert.ok(decoded.provider);
    assert.deepEqual(decodeNode(decoded.provider, RETRY), { maxAttempts: 7 });
    const wrong = failure(() => decodeNode(parseFirstValue('"str"'), RETRY));
    assert.equal(wrong.message, 'json: cannot unmarshal string into Go value of type subscription.RetryPolicy');
  });

  it('reads bytes and strings alike', () => {
    const text = '{"space":"é😀","list":["a"]}';
    assert.deepEqual(decode(new TextEncoder().encode(text), SAMPLE), decode(text, SAMPLE));
    assert.deepEqual(decode(text, SAMPLE), { space: 'é😀', list: ['a'] });
  });
});
