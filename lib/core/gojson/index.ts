export { GoJsonError, MAX_DEPTH, quoteChar, type GoJsonErrorCode } from './errors.js';
export { parseFirstValue, type JsonNode } from './value.js';
export {
  decode,
  decodeNode,
  defineStruct,
  jsonKeyMatches,
  type Decoded,
  type FieldKind,
  type FieldSchema,
  type StructSchema,
} from './schema.js';
