#!/usr/bin/env node
// Part of the build: writes dist/tool-schemas.json, every tool's input and output JSON Schema as the SDK converts
// them, so a starting server reads them instead of converting zod schemas (the slowest part of a cold tools/list).
// Generated from dist itself, so it cannot disagree with the code it ships with.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ALL_TOOLS } from '../dist/tools/index.js';
import { toolSchemas } from '../dist/server.js';

writeFileSync(fileURLToPath(new URL('../dist/tool-schemas.json', import.meta.url)), JSON.stringify(toolSchemas(ALL_TOOLS)));
