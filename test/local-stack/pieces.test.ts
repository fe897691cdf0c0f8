// The local stack's own pieces, without starting it: the .dockerignore matcher, the Dockerfile parser, and the
// resolution of the template's references to local resources.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { dockerignore, parseDockerfile } from '../../scripts/local-stack/image.js';
import { generatePassword } from '../../scripts/local-stack/secrets-manager.js';
import { resolve, type LocalValues } from '../../scripts/local-stack/template.js';

describe('the local stack pieces', () => {
  it("reads the repository's .dockerignore as Docker does: the last matching rule wins, folders take their contents", () => {
    const ignored = dockerignore(readFileSync(new URL('../../.dockerignore', import.meta.url), 'utf8'));
    for (const path of ['Dockerfile', 'package.json', 'package-lock.json', 'bin/build.mjs', 'lib/cli/main.ts', 'lib/core/model/types.ts']) {
      assert.equal(ignored(path), false, `${path} is in the build context`);
    }
    for (const path of ['README.md', 'lib/core/README.md', 'lib/infra/stack.ts', 'bin/event-gateway.js', 'test/cli.test.ts', 'node_modules/tsx/package.json', 'cdk.out']) {
      assert.equal(ignored(path), true, `${path} stays out of the build context`);
    }
  });

  it('parses Dockerfile instructions with continuation lines and comments', () => {
    const parsed = parseDockerfile('# a comment\nFROM node:24 AS build\nRUN echo a \\\n  && echo b\n\nCMD ["x"]\n');
    assert.deepEqual(
      parsed.map((i) => [i.keyword, i.args]),
      [
        ['FROM', 'node:24 AS build'],
        ['RUN', 'echo a    && echo b'],
        ['CMD', '["x"]'],
      ],
    );
  });

  it('resolves Ref, Fn::GetAtt, Fn::Join and Fn::Sub to the local resources, and refuses a reference to nothing', () => {
    const local: LocalValues = {
      ref: (id) => ({ Queue: 'http://127.0.0.1:1/000000000000/q', Table: 'lst-registry' })[id],
      getAtt: (id, attribute) => (id === 'Queue' && attribute === 'Arn' ? 'arn:aws:sqs:us-east-1:000000000000:q' : undefined),
    };
    assert.deepEqual(
      resolve({ A: { Ref: 'Queue' }, B: { 'Fn::GetAtt': ['Queue', 'Arn'] }, C: { 'Fn::Join': ['/', [{ Ref: 'Table' }, 'x']] }, D: { 'Fn::Sub': '${AWS::Region}:${Table}' } }, local, 'eu-west-1', 'test'),
      { A: 'http://127.0.0.1:1/000000000000/q', B: 'arn:aws:sqs:us-east-1:000000000000:q', C: 'lst-registry/x', D: 'eu-west-1:lst-registry' },
    );
    assert.throws(() => resolve({ Ref: 'Missing' }, local, 'eu-west-1', 'Lambda X environment'), /Lambda X environment: Ref Missing names nothing the local stack runs/);
  });

  it('generates a secret as GenerateSecretString asks', () => {
    const key = generatePassword({ PasswordLength: 43, ExcludePunctuation: true, IncludeSpace: false });
    assert.match(key, /^[A-Za-z0-9]{43}$/);
  });
});
