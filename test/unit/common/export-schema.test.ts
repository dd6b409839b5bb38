// The committed JSON Schema files are generated from the export's zod schemas and must stay in step.
// After changing the schemas: HEARTH_WRITE_SCHEMAS=1 npx vitest run test/unit/common/export-schema.test.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exportSchemas, jsonSchemaOf, type ExportFileKind } from '../../../common/export/schema.ts';

const dir = new URL('../../../common/export/json-schema/', import.meta.url);

describe('export JSON Schemas', () => {
  it.each(Object.keys(exportSchemas) as ExportFileKind[])('%s.schema.json matches the zod schema', (kind) => {
    const file = new URL(`${kind}.schema.json`, dir);
    const expected = `${JSON.stringify(jsonSchemaOf(kind), null, 2)}\n`;
    if (process.env.HEARTH_WRITE_SCHEMAS) writeFileSync(file, expected);
    expect(readFileSync(file, 'utf8')).toBe(expected);
  });
});
