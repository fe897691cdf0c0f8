/**
 * The conformance table of content filters: (pattern, event, expected) cases, run the same way through the matcher
 * (test/core/filter/conformance.test.ts), a started local gateway and the explain endpoint.
 *
 * Each group cites the AWS EventBridge page its cases come from. AWS writes its examples against EventBridge's
 * envelope (`source`, `detail-type`, `detail`, …); here they are translated to the event the gateway delivers: a
 * CloudEvents 1.0 structured event, with AWS's `detail` as `data` and `detail-type` as `subject`. A few cases use
 * CloudEvents 0.1 (`eventType`, `extensions`) to show that a pattern sees each version in its own shape.
 *
 * Where we decide an edge AWS leaves open, or differ from its text, the case says so in `note`.
 */
import type { JsonObject, JsonValue } from '../../../lib/core/cloudevents/model.js';
import type { FilterErrorCode } from '../../../lib/core/filter/index.js';

const GUIDE = 'https://docs.aws.amazon.com/eventbridge/latest/userguide';
export const AWS_PAGES = Object.freeze({
  patterns: `${GUIDE}/eb-event-patterns.html`,
  syntax: `${GUIDE}/eb-create-pattern.html`,
  operators: `${GUIDE}/eb-create-pattern-operators.html`,
  contentFiltering: `${GUIDE}/eb-event-patterns-content-based-filtering.html`,
  arrays: `${GUIDE}/eb-event-patterns-arrays.html`,
  nullValues: `${GUIDE}/eb-event-patterns-null-values.html`,
  /** Quotas of EventBridge (the limits we set are ours; this page motivates them). */
  quotas: `${GUIDE}/eb-quota.html`,
});

/** The event type every case's event has (the gateway run registers it). */
export const CONFORMANCE_EVENT_TYPE = 'conformance.event';

/** What a case's event carries besides the fixed attributes. */
export interface CaseEvent {
  /** CloudEvents version of the delivered event; 1.0 unless said. */
  readonly version?: '1.0' | '0.1';
  readonly source?: string;
  /** 1.0 only. */
  readonly subject?: string;
  /** RFC 3339, in the form the gateway delivers (`Z`, no trailing zeros in the fraction). */
  readonly time?: string;
  /** 1.0: top-level extension attributes; 0.1: the `extensions` object. */
  readonly extensions?: Readonly<Record<string, string | number | boolean>>;
  readonly data?: JsonValue;
}

export interface MatchCase {
  readonly name: string;
  /** The AWS page the case comes from. */
  readonly source: string;
  readonly pattern: JsonObject;
  readonly event: CaseEvent;
  readonly match: boolean;
  readonly note?: string;
}

export interface InvalidCase {
  readonly name: string;
  readonly source: string;
  readonly pattern: JsonValue;
  /** The path the 400 must name ('' for the pattern as a whole). */
  readonly path: string;
  readonly code: FilterErrorCode;
}

/** The event as the gateway delivers it: structured JSON in its own spec version. */
export function deliveredEvent(event: CaseEvent, id = 'conformance-1'): JsonObject {
  const source = event.source ?? 'https://example.com/conformance';
  if (event.version === '0.1') {
    return {
      eventType: CONFORMANCE_EVENT_TYPE,
      cloudEventsVersion: '0.1',
      source,
      eventID: id,
      ...(event.time !== undefined ? { eventTime: event.time } : {}),
      ...(event.extensions !== undefined ? { extensions: event.extensions } : {}),
      contentType: 'application/json',
      data: event.data ?? null,
    };
  }
  return {
    specversion: '1.0',
    id,
    source,
    type: CONFORMANCE_EVENT_TYPE,
    datacontenttype: 'application/json',
    ...(event.subject !== undefined ? { subject: event.subject } : {}),
    ...(event.time !== undefined ? { time: event.time } : {}),
    ...event.extensions,
    ...(event.data !== undefined ? { data: event.data } : {}),
  };
}

const cases: MatchCase[] = [];
let group = '';
function from(page: string): void {
  group = page;
}
function yes(name: string, pattern: JsonObject, event: CaseEvent, note?: string): void {
  cases.push({ name, source: group, pattern, event, match: true, ...(note ? { note } : {}) });
}
function no(name: string, pattern: JsonObject, event: CaseEvent, note?: string): void {
  cases.push({ name, source: group, pattern, event, match: false, ...(note ? { note } : {}) });
}

// ---------------------------------------------------------------------------------------------------------------
// Field and value matching: the EC2 state-change, Auto Scaling and Macie examples.
from(AWS_PAGES.patterns);
const ec2 = { source: 'aws.ec2', subject: 'EC2 Instance State-change Notification', data: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' } };
const ec2Pattern = { source: ['aws.ec2'], subject: ['EC2 Instance State-change Notification'], data: { state: ['terminated'] } };
yes('the EC2 termination pattern matches the EC2 termination event', ec2Pattern, ec2);
no('the EC2 termination pattern does not match a running instance', ec2Pattern, { ...ec2, data: { ...ec2.data, state: 'running' } });
no('the EC2 termination pattern does not match another source', ec2Pattern, { ...ec2, source: 'aws.fargate' });
yes('fields the pattern does not name are ignored', { data: { state: ['terminated'] } }, { ...ec2, data: { ...ec2.data, extra: { deep: [1, 2] } } });
no('every field the pattern names must be in the event', { data: { state: ['terminated'], reason: ['manual'] } }, ec2);
yes('a list of values matches any one of them (EC2 or Fargate)', { source: ['aws.ec2', 'aws.fargate'] }, { source: 'aws.fargate' });
no('a list of values matches none of the others', { source: ['aws.ec2', 'aws.fargate'] }, { source: 'aws.s3' });
const macie = { source: 'aws.macie', subject: 'Macie Alert', data: { 'notification-type': 'ALERT_CREATED', 'risk-score': 80, trigger: { 'alert-type': 'basic', risk: 8 }, tags: ['Custom_Alert', 'Insider'] } };
const maciePattern = { source: ['aws.macie'], subject: ['Macie Alert'], data: { 'risk-score': [80], trigger: { risk: [8] } } };
yes('the Macie pattern matches risk score 80 and trigger risk 8', maciePattern, macie);
no('the Macie pattern does not match trigger risk 7', maciePattern, { ...macie, data: { ...macie.data, trigger: { 'alert-type': 'basic', risk: 7 } } });
no('the Macie pattern does not match a risk score of 81', maciePattern, { ...macie, data: { ...macie.data, 'risk-score': 81 } });
const autoscaling = { source: 'aws.autoscaling', subject: 'EC2 Instance Launch Successful', data: { eventVersion: '', responseElements: null } };
yes('the Auto Scaling pattern matches responseElements null', { source: ['aws.autoscaling'], subject: ['EC2 Instance Launch Successful'], data: { responseElements: [null] } }, autoscaling);

from(AWS_PAGES.syntax);
yes('strings match character by character', { data: { name: ['Scanning bucket policies'] } }, { data: { name: 'Scanning bucket policies' } });
no('strings are not case-folded', { data: { state: ['Terminated'] } }, ec2);
no('strings are not normalised (trailing space)', { data: { state: ['terminated '] } }, ec2);
no('field names are case-sensitive', { data: { State: ['terminated'] } }, ec2);
no('the field must be at the same nesting (top level vs data)', { state: ['terminated'] }, ec2);
no('the field must be at the same nesting (data vs data.trigger)', { data: { risk: [8] } }, macie);
yes('a number matches the same number', { data: { count: [5] } }, { data: { count: 5 } });
no('a number does not match the string of its digits', { data: { count: [5] } }, { data: { count: '5' } });
no('a string of digits does not match the number', { data: { count: ['5'] } }, { data: { count: 5 } });
yes('a negative fraction matches itself', { data: { delta: [-0.25] } }, { data: { delta: -0.25 } });
yes(
  'numbers written 300.0 and 3.0e2 in the pattern match 300 in the event',
  { data: { size: [3.0e2] } },
  { data: { size: 300 } },
  'AWS compares exact numbers by their text (300, 300.0 and 3.0e2 differ); we compare values, as Event Ruler does: the delivered event is re-serialised JSON, so a number\'s original spelling is not kept.',
);
yes('true matches true', { data: { enabled: [true] } }, { data: { enabled: true } });
no('true does not match false', { data: { enabled: [true] } }, { data: { enabled: false } });
no('true does not match the string "true"', { data: { enabled: [true] } }, { data: { enabled: 'true' } });
yes('false matches false', { data: { enabled: [false] } }, { data: { enabled: false } });
yes('a mixed list of value types matches a boolean in it', { data: { v: ['x', 1, true, null] } }, { data: { v: true } });
yes('a mixed list of value types matches null in it', { data: { v: ['x', 1, true, null] } }, { data: { v: null } });
no('a mixed list of value types does not match 2', { data: { v: ['x', 1, true, null] } }, { data: { v: 2 } });
yes('the top-level source attribute is matched like any field', { source: ['https://example.com/orders'] }, { source: 'https://example.com/orders' });
yes('a 1.0 extension attribute is a top-level field', { tenant: ['acme'] }, { extensions: { tenant: 'acme' } });
no('a 1.0 extension attribute is not under "extensions"', { extensions: { tenant: ['acme'] } }, { extensions: { tenant: 'acme' } });
yes('the event type is matched as "type" in 1.0', { type: [CONFORMANCE_EVENT_TYPE] }, {});
no('"eventType" does not exist in a 1.0 event', { eventType: [CONFORMANCE_EVENT_TYPE] }, {});
yes('a 0.1 event has its type in "eventType"', { eventType: [CONFORMANCE_EVENT_TYPE] }, { version: '0.1' });
no('"type" does not exist in a 0.1 event', { type: [CONFORMANCE_EVENT_TYPE] }, { version: '0.1' });
yes('a 0.1 extension is under "extensions"', { extensions: { tenant: ['acme'] } }, { version: '0.1', extensions: { tenant: 'acme' } });
yes('a 0.1 event\'s data is matched as "data"', { data: { state: ['terminated'] } }, { version: '0.1', data: { state: 'terminated' } });
yes('the 1.0 spec version is "specversion"', { specversion: ['1.0'] }, {});
yes('the 0.1 spec version is "cloudEventsVersion"', { cloudEventsVersion: ['0.1'] }, { version: '0.1' });
yes('a field name with a dot is one name', { data: { 'a.b': ['x'] } }, { data: { 'a.b': 'x' } });
no('a field name with a dot is not a path', { data: { 'a.b': ['x'] } }, { data: { a: { b: 'x' } } });
no('an inherited name is not a field of the event', { data: { constructor: [{ exists: true }] } }, { data: {} });
yes('a value that is itself an object is not matched by an exact value', { data: { state: [{ exists: false }] } }, { data: { state: { name: 'x' } } });
no('an exact value does not match an object', { data: { state: ['x'] } }, { data: { state: { name: 'x' } } });
no('a data that is a string has no fields', { data: { state: ['x'] } }, { data: 'state=x' });

// ---------------------------------------------------------------------------------------------------------------
// Null values and empty strings.
from(AWS_PAGES.nullValues);
yes('[""] matches an empty string', { data: { eventVersion: [''] } }, autoscaling);
yes('[null] matches null', { data: { responseElements: [null] } }, autoscaling);
no('[""] does not match null', { data: { responseElements: [''] } }, autoscaling);
no('[null] does not match an empty string', { data: { eventVersion: [null] } }, autoscaling);
no('[null] does not match a missing field', { data: { missing: [null] } }, autoscaling);
no('[""] does not match a missing field', { data: { missing: [''] } }, autoscaling);
no('[null] does not match a string', { data: { state: [null] } }, ec2);
yes('[null] matches a null data', { data: [null] }, { version: '0.1' }, 'A 0.1 event without data carries "data": null.');
yes('a pattern on data matches an absent 1.0 data only through exists false', { data: [{ exists: false }] }, {});

// ---------------------------------------------------------------------------------------------------------------
// Arrays.
from(AWS_PAGES.arrays);
const resources = [
  'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
  'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
  'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
];
yes('a pattern array and an event array intersecting match', { data: { resources } }, {
  data: { resources: ['arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate', 'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'] },
});
no('a pattern array and an event array not intersecting do not match', { data: { resources } }, { data: { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] } });
no('an empty event array matches no value', { data: { resources } }, { data: { resources: [] } });
yes('an event array matches if any element does', { data: { tags: ['Insider'] } }, macie);
no('an event array matches no value that no element has', { data: { tags: ['Outsider'] } }, macie);
yes('a nested event array is flattened', { data: { grid: [5] } }, { data: { grid: [[1, 2], [3, [4, 5]]] } });
yes('an array of objects: a nested pattern matches one element', { data: { employees: { firstName: ['Anna'] } } }, {
  data: { employees: [{ firstName: 'John', lastName: 'Doe' }, { firstName: 'Anna', lastName: 'Smith' }] },
});
yes('an array of objects: two fields of the same element match', { data: { employees: { firstName: ['Anna'], lastName: ['Smith'] } } }, {
  data: { employees: [{ firstName: 'John', lastName: 'Doe' }, { firstName: 'Anna', lastName: 'Smith' }] },
});
no('an array of objects: two fields from different elements do not match', { data: { employees: { firstName: ['Anna'], lastName: ['Doe'] } } }, {
  data: { employees: [{ firstName: 'John', lastName: 'Doe' }, { firstName: 'Anna', lastName: 'Smith' }] },
}, 'Array-consistent matching, as EventBridge\'s engine (Event Ruler) does for JSON events.');
yes('an array of arrays of objects is flattened', { data: { employees: { firstName: ['Peter'] } } }, {
  data: { employees: [[{ firstName: 'John' }], [{ firstName: 'Peter' }]] },
});
no('an array of objects has no leaf value for an exact match', { data: { employees: ['Anna'] } }, { data: { employees: [{ firstName: 'Anna' }] } });
yes('a mixed array matches on its primitive elements', { data: { items: ['a'] } }, { data: { items: [{ x: 1 }, 'a'] } });
yes('an array of numbers matches a numeric range through one element', { data: { sizes: [{ numeric: ['>', 100] }] } }, { data: { sizes: [1, 50, 101] } });
no('an array of numbers with none in the range does not match', { data: { sizes: [{ numeric: ['>', 100] }] } }, { data: { sizes: [1, 50, 100] } });
yes('the data itself may be an array of objects', { data: { id: ['b'] } }, { data: [{ id: 'a' }, { id: 'b' }] });

// ---------------------------------------------------------------------------------------------------------------
// Content filtering operators.
from(AWS_PAGES.contentFiltering);
// Prefix.
yes('prefix "2017-10-02" matches a time of that day', { time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-02T18:43:48Z' });
no('prefix "2017-10-02" does not match another day', { time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-03T18:43:48Z' });
no('prefix is case-sensitive', { data: { region: [{ prefix: 'US-' }] } }, { data: { region: 'us-east-1' } });
no('prefix does not match a number', { data: { code: [{ prefix: '12' }] } }, { data: { code: 123 } });
no('prefix does not match a missing field', { data: { region: [{ prefix: 'us-' }] } }, { data: {} });
yes('an empty prefix matches any string', { data: { region: [{ prefix: '' }] } }, { data: { region: 'eu-west-1' } });
no('a prefix longer than the value does not match', { data: { region: [{ prefix: 'us-east-1a' }] } }, { data: { region: 'us-east-1' } });
yes('prefix equals-ignore-case matches "EventBridge" for "EventB"', { data: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, { data: { service: 'EventBridge' } });
yes('prefix equals-ignore-case matches "eventbus" for "EventB"', { data: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, { data: { service: 'eventbus' } });
no('prefix equals-ignore-case does not match "Event Bridge"', { data: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } }, { data: { service: 'Event Bridge' } });
// Suffix.
yes('suffix ".png" matches "image.png"', { data: { FileName: [{ suffix: '.png' }] } }, { data: { FileName: 'image.png' } });
no('suffix ".png" does not match "image.jpg"', { data: { FileName: [{ suffix: '.png' }] } }, { data: { FileName: 'image.jpg' } });
no('suffix is case-sensitive', { data: { FileName: [{ suffix: '.png' }] } }, { data: { FileName: 'IMAGE.PNG' } });
yes('suffix equals-ignore-case ".png" matches "IMAGE.PNG"', { data: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, { data: { FileName: 'IMAGE.PNG' } });
no('suffix equals-ignore-case ".png" does not match ".png.txt"', { data: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } }, { data: { FileName: 'image.png.txt' } });
no('suffix does not match a number', { data: { size: [{ suffix: '0' }] } }, { data: { size: 100 } });
// Equals-ignore-case.
yes('equals-ignore-case "EC2" matches "ec2"', { data: { name: [{ 'equals-ignore-case': 'EC2' }] } }, { data: { name: 'ec2' } });
yes('equals-ignore-case "alice" matches "ALICE"', { data: { name: [{ 'equals-ignore-case': 'alice' }] } }, { data: { name: 'ALICE' } });
no('equals-ignore-case does not match a longer string', { data: { name: [{ 'equals-ignore-case': 'alice' }] } }, { data: { name: 'alice2' } });
no('equals-ignore-case does not match a boolean', { data: { name: [{ 'equals-ignore-case': 'true' }] } }, { data: { name: true } });
// Anything-but.
yes('anything-but "initializing" matches "running"', { data: { state: [{ 'anything-but': 'initializing' }] } }, { data: { state: 'running' } });
no('anything-but "initializing" does not match "initializing"', { data: { state: [{ 'anything-but': 'initializing' }] } }, { data: { state: 'initializing' } });
no('anything-but does not match a missing field', { data: { state: [{ 'anything-but': 'initializing' }] } }, { data: {} });
yes('anything-but 123 matches 124', { data: { 'x-limit': [{ 'anything-but': 123 }] } }, { data: { 'x-limit': 124 } });
no('anything-but 123 does not match 123', { data: { 'x-limit': [{ 'anything-but': 123 }] } }, { data: { 'x-limit': 123 } });
yes('anything-but 123 matches the string "123"', { data: { 'x-limit': [{ 'anything-but': 123 }] } }, { data: { 'x-limit': '123' } }, 'Only the number is excluded.');
yes('anything-but "123" matches the number 123', { data: { 'x-limit': [{ 'anything-but': '123' }] } }, { data: { 'x-limit': 123 } });
yes('anything-but ["stopped","overloaded"] matches "running"', { data: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, { data: { state: 'running' } });
no('anything-but ["stopped","overloaded"] does not match "overloaded"', { data: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, { data: { state: 'overloaded' } });
yes('anything-but [100,200,300] matches 150', { data: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, { data: { 'x-limit': 150 } });
no('anything-but [100,200,300] does not match 200', { data: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, { data: { 'x-limit': 200 } });
yes('anything-but prefix "init" matches "running"', { data: { state: [{ 'anything-but': { prefix: 'init' } }] } }, { data: { state: 'running' } });
no('anything-but prefix "init" does not match "initializing"', { data: { state: [{ 'anything-but': { prefix: 'init' } }] } }, { data: { state: 'initializing' } });
yes('anything-but prefix matches a number', { data: { state: [{ 'anything-but': { prefix: 'init' } }] } }, { data: { state: 5 } });
yes('anything-but an array event matches if one element is not excluded', { data: { state: [{ 'anything-but': 'stopped' }] } }, { data: { state: ['stopped', 'running'] } });
no('anything-but an array event with every element excluded does not match', { data: { state: [{ 'anything-but': ['stopped', 'failed'] }] } }, { data: { state: ['stopped', 'failed'] } });
no('anything-but an empty event array does not match', { data: { state: [{ 'anything-but': 'stopped' }] } }, { data: { state: [] } });
yes('anything-but matches null when null is not excluded', { data: { state: [{ 'anything-but': 'stopped' }] } }, { data: { state: null } });
// Numeric.
const cCount = { data: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } };
yes('numeric > 0, <= 5 matches 5', cCount, { data: { 'c-count': 5 } });
yes('numeric > 0, <= 5 matches 0.5', cCount, { data: { 'c-count': 0.5 } });
no('numeric > 0, <= 5 does not match 0', cCount, { data: { 'c-count': 0 } });
no('numeric > 0, <= 5 does not match 5.000001', cCount, { data: { 'c-count': 5.000001 } });
no('numeric > 0, <= 5 does not match -1', cCount, { data: { 'c-count': -1 } });
no('numeric does not match the string "3"', cCount, { data: { 'c-count': '3' } });
no('numeric does not match a missing field', cCount, { data: {} });
no('numeric does not match null', cCount, { data: { 'c-count': null } });
yes('numeric < 10 matches 3', { data: { 'd-count': [{ numeric: ['<', 10] }] } }, { data: { 'd-count': 3 } });
no('numeric < 10 does not match 10', { data: { 'd-count': [{ numeric: ['<', 10] }] } }, { data: { 'd-count': 10 } });
yes('numeric = 3.018e2 matches 301.8', { data: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } }, { data: { 'x-limit': 301.8 } });
no('numeric = 3.018e2 does not match 301.80001', { data: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } }, { data: { 'x-limit': 301.80001 } });
yes('numeric >= 10 matches 10', { data: { n: [{ numeric: ['>=', 10] }] } }, { data: { n: 10 } });
no('numeric > 10 does not match 10', { data: { n: [{ numeric: ['>', 10] }] } }, { data: { n: 10 } });
yes('numeric bounds may come upper first', { data: { n: [{ numeric: ['<', 0, '>=', -5] }] } }, { data: { n: -5 } });
yes('numeric compares negative fractions', { data: { n: [{ numeric: ['>', -1.5, '<', -1.25] }] } }, { data: { n: -1.3 } });
yes('numeric handles large values', { data: { n: [{ numeric: ['>=', 1e9] }] } }, { data: { n: 5e9 } }, 'AWS documents a range of ±5.0e9 with 15 significant digits; we compare IEEE doubles, which covers it.');
yes('a numeric or an exact value in one list', { data: { n: [{ numeric: ['>', 100] }, 7] } }, { data: { n: 7 } });
// IP addresses.
yes('cidr 10.0.0.0/24 matches 10.0.0.17', { data: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, { data: { sourceIPAddress: '10.0.0.17' } });
yes('cidr 10.0.0.0/24 matches 10.0.0.255', { data: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, { data: { sourceIPAddress: '10.0.0.255' } });
no('cidr 10.0.0.0/24 does not match 10.0.1.0', { data: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, { data: { sourceIPAddress: '10.0.1.0' } });
no('cidr does not match a string that is not an address', { data: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, { data: { sourceIPAddress: 'localhost' } });
no('cidr does not match a number', { data: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, { data: { sourceIPAddress: 10 } });
yes('cidr 10.0.0.0/8 matches 10.200.3.4', { data: { 'source-ip': [{ cidr: '10.0.0.0/8' }] } }, { data: { 'source-ip': '10.200.3.4' } });
yes('cidr works with IPv6 (2001:db8::/32)', { data: { ip: [{ cidr: '2001:db8::/32' }] } }, { data: { ip: '2001:db8:85a3::8a2e:370:7334' } });
no('cidr IPv6 does not match outside its range', { data: { ip: [{ cidr: '2001:db8::/32' }] } }, { data: { ip: '2001:db9::1' } });
no('cidr IPv4 does not match an IPv6 address', { data: { ip: [{ cidr: '10.0.0.0/8' }] } }, { data: { ip: '::ffff:10.0.0.1' } });
yes('cidr /32 matches exactly one address', { data: { ip: [{ cidr: '192.168.1.1/32' }] } }, { data: { ip: '192.168.1.1' } });
no('cidr does not match an address with a leading zero', { data: { ip: [{ cidr: '10.0.0.0/24' }] } }, { data: { ip: '10.0.0.017' } });
// Exists.
yes('exists false matches an event without data.c-count', { data: { 'c-count': [{ exists: false }] } }, { data: { state: ['initializing', 'running'] } });
yes('exists false matches where c-count is an object, not a leaf', { data: { 'c-count': [{ exists: false }] } }, { data: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } });
no('exists false does not match a present c-count', { data: { 'c-count': [{ exists: false }] } }, { data: { 'c-count': 3 } });
yes('exists true matches a present c-count', { data: { 'c-count': [{ exists: true }] } }, { data: { 'c-count': 3 } });
no('exists true does not match a missing c-count', { data: { 'c-count': [{ exists: true }] } }, { data: {} });
no('exists true does not match an object (not a leaf)', { data: { 'c-count': [{ exists: true }] } }, { data: { 'c-count': { c1: 100 } } });
yes('exists true matches null (null is a value)', { data: { 'c-count': [{ exists: true }] } }, { data: { 'c-count': null } });
yes('exists true matches an empty string', { data: { 'c-count': [{ exists: true }] } }, { data: { 'c-count': '' } });
no('exists true does not match an empty array', { data: { 'c-count': [{ exists: true }] } }, { data: { 'c-count': [] } }, 'An empty array has no leaf value.');
yes('exists false matches an empty array', { data: { 'c-count': [{ exists: false }] } }, { data: { 'c-count': [] } });
yes('exists true matches a non-empty array', { data: { 'c-count': [{ exists: true }] } }, { data: { 'c-count': [0] } });
yes('exists false matches when the parent is missing', { data: { detail: { 'c-count': [{ exists: false }] } } }, { data: {} });
yes('exists false matches when data is absent', { data: { 'c-count': [{ exists: false }] } }, {});
no('exists true on an intermediate object does not match', { data: [{ exists: true }] }, { data: { a: 1 } });
yes('exists false or a value: the field is missing', { data: { plan: [{ exists: false }, 'pro'] } }, { data: {} });
yes('exists false or a value: the field has the value', { data: { plan: [{ exists: false }, 'pro'] } }, { data: { plan: 'pro' } });
no('exists false or a value: another value', { data: { plan: [{ exists: false }, 'pro'] } }, { data: { plan: 'free' } });
// The complex example.
const complex = {
  time: [{ prefix: '2017-10-02' }],
  data: {
    state: [{ 'anything-but': 'initializing' }],
    'c-count': [{ numeric: ['>', 0, '<=', 5] }],
    'd-count': [{ numeric: ['<', 10] }],
    'x-limit': [{ 'anything-but': [100, 200, 300] }],
  },
};
const complexEvent = { time: '2017-10-02T16:24:49Z', data: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8, 'source-ip': '10.0.0.33', state: 'running' } };
yes('the complex example matches its event', complex, complexEvent);
no('the complex example fails on state initializing', complex, { ...complexEvent, data: { ...complexEvent.data, state: 'initializing' } });
no('the complex example fails on x-limit 200', complex, { ...complexEvent, data: { ...complexEvent.data, 'x-limit': 200 } });
no('the complex example fails on another day', complex, { ...complexEvent, time: '2017-10-03T16:24:49Z' });
no('the complex example fails on d-count 10', complex, { ...complexEvent, data: { ...complexEvent.data, 'd-count': 10 } });

// ---------------------------------------------------------------------------------------------------------------
// The operators page: ignore-case and wildcard forms of anything-but, wildcard, and $or.
from(AWS_PAGES.operators);
yes('anything-but suffix ".png" matches "notes.txt"', { data: { FileName: [{ 'anything-but': { suffix: '.png' } }] } }, { data: { FileName: 'notes.txt' } });
no('anything-but suffix ".png" does not match "image.png"', { data: { FileName: [{ 'anything-but': { suffix: '.png' } }] } }, { data: { FileName: 'image.png' } });
yes('anything-but prefix "us-" matches "eu-west-1"', { data: { Region: [{ 'anything-but': { prefix: 'us-' } }] } }, { data: { Region: 'eu-west-1' } });
no('anything-but prefix "us-" does not match "us-east-1"', { data: { Region: [{ 'anything-but': { prefix: 'us-' } }] } }, { data: { Region: 'us-east-1' } });
yes('anything-but prefix list matches a value with neither prefix', { data: { state: [{ 'anything-but': { prefix: ['init', 'error'] } }] } }, { data: { state: 'running' } });
no('anything-but prefix list does not match the second prefix', { data: { state: [{ 'anything-but': { prefix: ['init', 'error'] } }] } }, { data: { state: 'error-timeout' } });
yes('anything-but suffix list matches a value with neither suffix', { data: { id: [{ 'anything-but': { suffix: ['1234', '6789'] } }] } }, { data: { id: 'i-0000' } });
no('anything-but suffix list does not match the second suffix', { data: { id: [{ 'anything-but': { suffix: ['1234', '6789'] } }] } }, { data: { id: 'i-6789' } });
no('anything-but equals-ignore-case "initializing" does not match "INITIALIZING"', { data: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } }, { data: { state: 'INITIALIZING' } });
yes('anything-but equals-ignore-case "initializing" matches "running"', { data: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } }, { data: { state: 'running' } });
no('anything-but equals-ignore-case list does not match "overloaded"', { data: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } }, { data: { state: 'overloaded' } });
yes('anything-but equals-ignore-case list matches "running"', { data: { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }] } }, { data: { state: 'running' } });
yes('anything-but wildcard "*/lib/*" matches "/usr/bin/env"', { data: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, { data: { FilePath: '/usr/bin/env' } });
no('anything-but wildcard "*/lib/*" does not match "/usr/lib/libc.so"', { data: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } }, { data: { FilePath: '/usr/lib/libc.so' } });
no('anything-but wildcard list does not match the second wildcard', { data: { FilePath: [{ 'anything-but': { wildcard: ['*/bin/*.jar', '*/bin/*.class'] } }] } }, { data: { FilePath: 'app/bin/Main.class' } });
yes('empty: [""] matches an empty LastName', { data: { LastName: [''] } }, { data: { LastName: '' } });
yes('wildcard "dir/*.png" matches "dir/image.png"', { data: { FileName: [{ wildcard: 'dir/*.png' }] } }, { data: { FileName: 'dir/image.png' } });
no('wildcard "dir/*.png" does not match "dir/image.jpg"', { data: { FileName: [{ wildcard: 'dir/*.png' }] } }, { data: { FileName: 'dir/image.jpg' } });
yes('wildcard "Simple*Service" matches "SimpleQueueService"', { source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleQueueService' });
yes('wildcard "Simple*Service" matches "SimpleService" (the star may match nothing)', { source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleService' });
no('wildcard "Simple*Service" does not match "SimpleServices"', { source: [{ wildcard: 'Simple*Service' }] }, { source: 'SimpleServices' });
yes('wildcard with several stars matches in order', { data: { p: [{ wildcard: 'a*b*c' }] } }, { data: { p: 'aXbYbZc' } });
no('wildcard with several stars does not match out of order', { data: { p: [{ wildcard: 'a*b*c' }] } }, { data: { p: 'acb' } });
no('wildcard segments may not overlap', { data: { p: [{ wildcard: 'ab*ba' }] } }, { data: { p: 'aba' } });
no('a middle wildcard segment may not overlap the last one', { data: { p: [{ wildcard: 'a*bc*cd' }] } }, { data: { p: 'abcd' } });
yes('wildcard "*" matches an empty string', { data: { p: [{ wildcard: '*' }] } }, { data: { p: '' } });
no('wildcard does not match a number', { data: { p: [{ wildcard: '*' }] } }, { data: { p: 1 } });
yes('wildcard "\\*" matches a literal star', { data: { p: [{ wildcard: 'a\\*b' }] } }, { data: { p: 'a*b' } });
no('wildcard "\\*" does not match other characters', { data: { p: [{ wildcard: 'a\\*b' }] } }, { data: { p: 'axb' } });
yes('wildcard "\\\\" matches a literal backslash', { data: { p: [{ wildcard: 'C:\\\\*' }] } }, { data: { p: 'C:\\Windows' } });
no('wildcard is case-sensitive', { data: { p: [{ wildcard: 'abc*' }] } }, { data: { p: 'ABCdef' } });
yes('wildcard without a star is an exact match', { data: { p: [{ wildcard: 'exact' }] } }, { data: { p: 'exact' } });
// $or.
const orPattern = { source: ['aws.cloudwatch'], $or: [{ data: { metricName: ['CPUUtilization', 'ReadLatency'] } }, { data: { namespace: ['AWS/EC2', 'AWS/ES'] } }] };
yes('$or: source and the first branch', orPattern, { source: 'aws.cloudwatch', data: { metricName: 'CPUUtilization' } });
yes('$or: source and the second branch', orPattern, { source: 'aws.cloudwatch', data: { namespace: 'AWS/ES' } });
no('$or: source and no branch', orPattern, { source: 'aws.cloudwatch', data: { metricName: 'Other', namespace: 'AWS/S3' } });
no('$or: a branch but not the source', orPattern, { source: 'aws.ec2', data: { metricName: 'CPUUtilization' } });
const orAnd = { source: ['aws.cloudwatch'], $or: [{ data: { metricName: ['CPUUtilization'] } }, { data: { metricType: ['MetricType'], namespace: ['AWS/EC2'] } }] };
yes('$or with an and inside: both fields of the branch', orAnd, { source: 'aws.cloudwatch', data: { metricType: 'MetricType', namespace: 'AWS/EC2' } });
no('$or with an and inside: one field of the branch only', orAnd, { source: 'aws.cloudwatch', data: { metricType: 'MetricType', namespace: 'AWS/ES' } });
const orNested = {
  $or: [
    { data: { metricName: ['CPUUtilization'] } },
    { data: { namespace: ['AWS/EC2'], $or: [{ metricId: [1234] }, { spaceId: [1000] }] } },
  ],
};
yes('nested $or: the inner branch matches', orNested, { data: { namespace: 'AWS/EC2', spaceId: 1000 } });
no('nested $or: no inner branch', orNested, { data: { namespace: 'AWS/EC2', spaceId: 1001 } });
const parallel = {
  data: { $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }] },
  $or: [{ source: ['aws.cloudwatch'] }, { subject: ['CloudWatch Alarm State Change'] }],
};
yes('parallel $or: one branch of each', parallel, { subject: 'CloudWatch Alarm State Change', data: { namespace: 'AWS/EC2' } });
no('parallel $or: the second group fails', parallel, { source: 'aws.ec2', data: { namespace: 'AWS/EC2' } });
yes('$or with exists false: the field is missing', { $or: [{ data: { tier: [{ exists: false }] } }, { data: { tier: ['gold'] } }] }, { data: {} });
yes('$or branches with different operators', { $or: [{ data: { amount: [{ numeric: ['>', 1000] }] } }, { data: { vip: [true] } }] }, { data: { amount: 5, vip: true } });
no('$or branches with different operators: neither', { $or: [{ data: { amount: [{ numeric: ['>', 1000] }] } }, { data: { vip: [true] } }] }, { data: { amount: 5, vip: false } });

// ---------------------------------------------------------------------------------------------------------------
// Limits (our own; AWS limits pattern size per rule).
from(AWS_PAGES.quotas);
function nest(levels: number, leaf: JsonValue): JsonObject {
  let pattern: JsonValue = leaf;
  for (let i = levels; i >= 1; i--) pattern = { [`l${i}`]: pattern };
  return pattern as JsonObject;
}
function nestEvent(levels: number, leaf: JsonValue): JsonValue {
  let value: JsonValue = leaf;
  for (let i = levels; i >= 1; i--) value = { [`l${i}`]: value };
  return value;
}
yes('a pattern 10 levels deep is accepted and matches', { data: nest(9, ['x']) }, { data: nestEvent(9, 'x') });
const hundred = Array.from({ length: 100 }, (_, i) => `v${i}`);
yes('a field with 100 values is accepted and matches its last one', { data: { v: hundred } }, { data: { v: 'v99' } });
no('a field with 100 values does not match a 101st', { data: { v: hundred } }, { data: { v: 'v100' } });

export const MATCH_CASES: readonly MatchCase[] = Object.freeze(cases);

// ---------------------------------------------------------------------------------------------------------------
// Invalid patterns: each is refused with a 400 that names its path (and the limit, for the limits).
const invalid: InvalidCase[] = [];
function bad(name: string, pattern: JsonValue, path: string, code: FilterErrorCode = 'invalid'): void {
  invalid.push({ name, source: group, pattern, path, code });
}
from(AWS_PAGES.syntax);
bad('a pattern that is an array', [{ source: ['x'] }], '');
bad('a pattern that is a string', 'source', '');
bad('an empty pattern', {}, '');
bad('an empty nested object', { data: {} }, 'data');
bad('a field whose value is a string, not an array', { source: 'aws.ec2' }, 'source');
bad('a field whose value is a number', { data: { count: 5 } }, 'data.count');
bad('an empty array of values', { data: { state: [] } }, 'data.state');
bad('an array inside the values', { data: { state: [['a']] } }, 'data.state[0]');
from(AWS_PAGES.operators);
bad('an unknown operator', { data: { state: [{ contains: 'x' }] } }, 'data.state[0]');
bad('an operator object with two keys', { data: { state: [{ prefix: 'a', suffix: 'b' }] } }, 'data.state[0]');
bad('an empty operator object', { data: { state: [{}] } }, 'data.state[0]');
bad('prefix of a number', { data: { state: [{ prefix: 5 }] } }, 'data.state[0].prefix');
bad('prefix with an unknown inner operator', { data: { state: [{ prefix: { wildcard: 'a*' } }] } }, 'data.state[0].prefix');
bad('suffix of null', { data: { state: [{ suffix: null }] } }, 'data.state[0].suffix');
bad('equals-ignore-case of a number', { data: { state: [{ 'equals-ignore-case': 1 }] } }, 'data.state[0].equals-ignore-case');
bad('wildcard with consecutive stars', { data: { p: [{ wildcard: 'a**b' }] } }, 'data.p[0].wildcard');
bad('wildcard escaping a letter', { data: { p: [{ wildcard: 'a\\b' }] } }, 'data.p[0].wildcard');
bad('wildcard ending in a backslash', { data: { p: [{ wildcard: 'ab\\' }] } }, 'data.p[0].wildcard');
bad('wildcard of a number', { data: { p: [{ wildcard: 1 }] } }, 'data.p[0].wildcard');
bad('anything-but a list of strings and numbers', { data: { s: [{ 'anything-but': ['a', 1] }] } }, 'data.s[0].anything-but');
bad('anything-but an empty list', { data: { s: [{ 'anything-but': [] }] } }, 'data.s[0].anything-but');
bad('anything-but a boolean', { data: { s: [{ 'anything-but': true }] } }, 'data.s[0].anything-but');
bad('anything-but numeric', { data: { s: [{ 'anything-but': { numeric: ['>', 1] } }] } }, 'data.s[0].anything-but');
bad('anything-but an empty prefix', { data: { s: [{ 'anything-but': { prefix: '' } }] } }, 'data.s[0].anything-but.prefix');
bad('anything-but a prefix list with a number', { data: { s: [{ 'anything-but': { prefix: ['a', 1] } }] } }, 'data.s[0].anything-but.prefix[1]');
bad('anything-but a bad wildcard', { data: { s: [{ 'anything-but': { wildcard: 'a**' } }] } }, 'data.s[0].anything-but.wildcard');
from(AWS_PAGES.contentFiltering);
bad('numeric with an odd number of elements', { data: { n: [{ numeric: ['>', 0, '<'] }] } }, 'data.n[0].numeric');
bad('numeric with an unknown comparison', { data: { n: [{ numeric: ['!=', 0] }] } }, 'data.n[0].numeric[0]');
bad('numeric with two lower bounds', { data: { n: [{ numeric: ['>', 0, '>=', 1] }] } }, 'data.n[0].numeric[2]');
bad('numeric "=" with a range', { data: { n: [{ numeric: ['=', 0, '<', 1] }] } }, 'data.n[0].numeric[0]');
bad('numeric comparing with a string', { data: { n: [{ numeric: ['>', '0'] }] } }, 'data.n[0].numeric[1]');
bad('numeric with the lower bound above the upper', { data: { n: [{ numeric: ['>', 5, '<', 1] }] } }, 'data.n[0].numeric');
bad('numeric that is not an array', { data: { n: [{ numeric: 5 }] } }, 'data.n[0].numeric');
bad('exists with a string', { data: { n: [{ exists: 'yes' }] } }, 'data.n[0].exists');
bad('cidr without a prefix length', { data: { ip: [{ cidr: '10.0.0.1' }] } }, 'data.ip[0].cidr');
bad('cidr with a prefix length over 32', { data: { ip: [{ cidr: '10.0.0.0/33' }] } }, 'data.ip[0].cidr');
bad('cidr that is not an address', { data: { ip: [{ cidr: 'example.com/8' }] } }, 'data.ip[0].cidr');
from(AWS_PAGES.operators);
bad('$or with one branch', { $or: [{ a: ['x'] }] }, '$or');
bad('$or that is an object', { $or: { a: ['x'] } }, '$or');
bad('$or with a branch that is not an object', { $or: [{ a: ['x'] }, ['b']] }, '$or[1]');
bad('$or with an empty branch', { data: { $or: [{ a: ['x'] }, {}] } }, 'data.$or[1]');
from(AWS_PAGES.quotas);
bad('a pattern 11 levels deep', { data: nest(10, ['x']) }, 'data.l1.l2.l3.l4.l5.l6.l7.l8.l9.l10', 'too-deep');
bad('101 values in one array', { data: { v: Array.from({ length: 101 }, (_, i) => i) } }, 'data.v', 'too-many-values');
bad('101 values in an anything-but list', { data: { v: [{ 'anything-but': Array.from({ length: 101 }, (_, i) => `s${i}`) }] } }, 'data.v[0].anything-but', 'too-many-values');
bad('a pattern over 4,096 bytes', { data: { v: ['x'.repeat(4100)] } }, '', 'too-large');

export const INVALID_CASES: readonly InvalidCase[] = Object.freeze(invalid);
