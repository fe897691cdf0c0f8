export { GoJsonError, MAX_DEPTH, quoteChar, type GoJsonErrorCode } from './errors.js';
export { parseFirstValue, type JsonNode } from './value.js';
export {
  decode,
  decodeNode,
  defineStruct,
  type Decoded,
  type FieldKind,
  type FieldSchema,
  type StructSchema,
} from './schema.js';
export { foldJsonKey, jsonKeyMatches } from './fold-key.js';
export { isJsonObject, jsonTypeName, parseJsonResult, type JsonParseResult } from './result.js';
export { jsonSyntaxErrorMessage } from './syntax-message.js';
