// Shared by the constrained-decoding tests: a few tools as MCP servers write them, and ajv set up for them.
import { Ajv } from 'ajv';
import type { ToolDefinition } from '../../src/engine/types.js';

export const weatherTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: {
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 1, maxLength: 40 },
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'], default: 'celsius' },
        days: { type: 'integer', minimum: 1, maximum: 7 },
      },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
  },
};

export const searchTool: ToolDefinition = {
  type: 'function',
  function: {
    name: 'search_files',
    description: 'Search for files',
    parameters: {
      type: 'object',
      properties: {
        path: { type: 'string' },
        patterns: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 },
        options: {
          type: 'object',
          properties: { caseSensitive: { type: 'boolean' }, depth: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'null' }] } },
          required: ['caseSensitive'],
          additionalProperties: false,
        },
      },
      required: ['path', 'patterns', 'options'],
      additionalProperties: false,
    },
  },
};

export const answerSchema = {
  type: 'object',
  properties: {
    title: { type: 'string', maxLength: 30 },
    score: { type: 'number', minimum: 0, maximum: 10 },
    tags: { type: 'array', items: { enum: ['red', 'green', 'blue'] }, maxItems: 4 },
    nested: { $ref: '#/$defs/pair' },
  },
  required: ['title', 'score', 'tags', 'nested'],
  additionalProperties: false,
  $defs: { pair: { type: 'object', properties: { a: { type: 'boolean' }, b: { const: 'x' } }, required: ['a', 'b'], additionalProperties: false } },
};

export function newAjv(): Ajv {
  return new Ajv({ allErrors: true, strict: false, validateFormats: false });
}
