// Reading the synthesized stack: the template, its assets in cdk.out, and CloudFormation's intrinsic functions
// resolved against the local resources.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
}

export interface SynthesizedStack {
  stackName: string;
  outdir: string;
  resources: Record<string, Resource>;
  /** Zip file assets (the Lambda bundles) by the S3 key the template names (`<hash>.zip`): their folder in cdk.out. */
  fileAssets: Map<string, string>;
  /** Image assets by hash (the tag the template names): the staged build context and Dockerfile. */
  imageAssets: Map<string, { directory: string; dockerfile: string }>;
}

interface Manifest {
  artifacts: Record<string, { type: string; properties?: { templateFile?: string }; displayName?: string }>;
}

interface AssetManifest {
  files?: Record<string, { source: { path: string; packaging?: string } }>;
  dockerImages?: Record<string, { source: { directory: string; dockerFile?: string } }>;
}

/** The one stack of the cloud assembly in `outdir`. */
export function readSynthesizedStack(outdir: string): SynthesizedStack {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as Manifest;
  const stacks = Object.entries(manifest.artifacts).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  if (stacks.length !== 1) throw new Error(`expected one stack in ${outdir}, found ${stacks.length}`);
  const [stackName, artifact] = stacks[0]!;
  const templateFile = artifact.properties?.templateFile ?? `${stackName}.template.json`;
  const template = JSON.parse(readFileSync(join(outdir, templateFile), 'utf8')) as { Resources: Record<string, Resource> };
  const assets = JSON.parse(readFileSync(join(outdir, `${stackName}.assets.json`), 'utf8')) as AssetManifest;
  const fileAssets = new Map<string, string>();
  for (const [hash, asset] of Object.entries(assets.files ?? {})) {
    if (asset.source.packaging === 'zip') fileAssets.set(`${hash}.zip`, join(outdir, asset.source.path));
  }
  const imageAssets = new Map<string, { directory: string; dockerfile: string }>();
  for (const [hash, asset] of Object.entries(assets.dockerImages ?? {})) {
    imageAssets.set(hash, { directory: join(outdir, asset.source.directory), dockerfile: asset.source.dockerFile ?? 'Dockerfile' });
  }
  return { stackName, outdir, resources: template.Resources, fileAssets, imageAssets };
}

/** Resources of one type, by logical id. */
export function resourcesOfType(stack: SynthesizedStack, type: string): Array<[string, Resource]> {
  return Object.entries(stack.resources).filter(([, r]) => r.Type === type);
}

/** What `Ref` and `Fn::GetAtt` give for the resources that exist locally; anything else is an error. */
export interface LocalValues {
  ref(logicalId: string): string | undefined;
  getAtt(logicalId: string, attribute: string): string | undefined;
}

export const LOCAL_ACCOUNT = '000000000000';

/** Resolves Ref, Fn::GetAtt, Fn::Join, Fn::Sub and Fn::Select; throws on a reference nothing local can answer. */
export function resolve(value: Json, local: LocalValues, region: string, where: string): Json {
  const pseudo: Record<string, string> = {
    'AWS::Region': region,
    'AWS::AccountId': LOCAL_ACCOUNT,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'local',
  };
  const go = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(go);
    if (v === null || typeof v !== 'object') return v;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const arg = v[key]!;
      if (key === 'Ref') {
        const id = String(arg);
        const found = pseudo[id] ?? local.ref(id);
        if (found === undefined) throw new Error(`${where}: Ref ${id} names nothing the local stack runs`);
        return found;
      }
      if (key === 'Fn::GetAtt') {
        const [id, attribute] = (Array.isArray(arg) ? arg : String(arg).split('.')) as [string, string];
        const found = local.getAtt(String(id), String(attribute));
        if (found === undefined) throw new Error(`${where}: Fn::GetAtt ${id}.${attribute} names nothing the local stack runs`);
        return found;
      }
      if (key === 'Fn::Join') {
        const [separator, parts] = arg as [string, Json[]];
        return (go(parts) as Json[]).map(String).join(separator);
      }
      if (key === 'Fn::Select') {
        const [index, list] = arg as [number, Json];
        return (go(list) as Json[])[Number(index)] ?? null;
      }
      if (key === 'Fn::Sub') {
        const [text, vars] = (Array.isArray(arg) ? arg : [arg, {}]) as [string, Record<string, Json>];
        return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (vars[name] !== undefined) return String(go(vars[name]!));
          const [id, attribute] = name.split('.');
          return String(go(attribute ? { 'Fn::GetAtt': [id!, attribute] } : { Ref: id! }));
        });
      }
    }
    return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, go(inner)]));
  };
  return go(value);
}
