// Constraints as the user gives them to the extension: a TOML snippet (`[[constraint]]` tables,
// as in heedful.toml) or a type picked from the catalogue plus its parameters typed as TOML
// key/value pairs. Checked here against the catalogue (`heedful constraints --format json`); the
// server validates again and its error is shown as it is.

import { parse as parseToml } from 'smol-toml';

/** One parameter of a constraint type, as `heedful constraints --format json` describes it. */
export interface ParamSpec {
    name: string;
    type: string; // int, float, bool, str, regex, list[str]
    description?: string;
    required: boolean;
    default?: unknown;
    choices?: unknown[];
    minimum?: number;
    maximum?: number;
}

/** One constraint type of the catalogue. */
export interface ConstraintType {
    id: string;
    category: string;
    kind: string;
    languages: string[];
    params: ParamSpec[];
    description: string;
}

/** A constraint as `heedful/setConstraints` takes it: `type`, its parameters as keys, and
 * optionally `label` and `turn`. */
export type ConstraintItem = { type: string } & Record<string, unknown>;

/** Keys a constraint table uses for itself (never parameters). */
export const RESERVED_KEYS = new Set(['type', 'label', 'turn']);

export interface ConstraintGroup {
    /** The `[[files]]` glob the constraints are for; undefined: every document. */
    glob?: string;
    constraints: ConstraintItem[];
}

export type SnippetParse =
    | { kind: 'constraints'; groups: ConstraintGroup[] }
    | { kind: 'invalid'; error: string }
    | { kind: 'instruction'; text: string };

/**
 * A selection: TOML constraint tables (as in heedful.toml: `[[constraint]]`, `[[files]]` with
 * `glob` and `[[files.constraint]]`, or the keys of one table with `type = ...`), or else an
 * instruction in words.
 */
export function parseConstraintSnippet(text: string): SnippetParse {
    const trimmed = text.trim();
    const looksLikeToml = /^\s*\[\[\s*(files\.)?constraint\s*\]\]|^\s*type\s*=/m.test(trimmed);
    let document: Record<string, unknown>;
    try {
        document = plain(parseToml(trimmed)) as Record<string, unknown>;
    } catch (error) {
        if (looksLikeToml) {
            return { kind: 'invalid', error: `not valid TOML: ${firstLine(error)}` };
        }
        return { kind: 'instruction', text: trimmed };
    }
    const groups: ConstraintGroup[] = [];
    const problems: string[] = [];
    const collect = (tables: unknown, where: string): ConstraintItem[] => {
        if (!Array.isArray(tables)) {
            problems.push(`${where} must be an array of tables ([[...]])`);
            return [];
        }
        const items: ConstraintItem[] = [];
        tables.forEach((table, index) => {
            if (typeof table !== 'object' || table === null || typeof (table as { type?: unknown }).type !== 'string') {
                problems.push(`${where} #${index + 1}: missing \`type = "<constraint id>"\``);
            } else {
                items.push(table as ConstraintItem);
            }
        });
        return items;
    };
    if ('constraint' in document) {
        groups.push({ constraints: collect(document.constraint, '[[constraint]]') });
    }
    if ('files' in document) {
        const files = Array.isArray(document.files) ? document.files : [];
        files.forEach((section: unknown, index: number) => {
            const value = (section ?? {}) as { glob?: unknown; constraint?: unknown };
            if (typeof value.glob !== 'string') {
                problems.push(`[[files]] #${index + 1}: missing \`glob = "..."\``);
                return;
            }
            groups.push({ glob: value.glob, constraints: collect(value.constraint ?? [], `[[files.constraint]] (${value.glob})`) });
        });
    }
    if (groups.length === 0 && typeof document.type === 'string') {
        groups.push({ constraints: [document as ConstraintItem] });
    }
    if (problems.length > 0) {
        return { kind: 'invalid', error: problems.join('; ') };
    }
    if (groups.length === 0 || groups.every((group) => group.constraints.length === 0)) {
        if (looksLikeToml || Object.keys(document).length > 0) {
            return { kind: 'invalid', error: 'no constraint in the selection: write [[constraint]] tables with a `type`' };
        }
        return { kind: 'instruction', text: trimmed };
    }
    return { kind: 'constraints', groups: groups.filter((group) => group.constraints.length > 0) };
}

/** The text the parameter input box starts with: every required parameter with a value to edit. */
export function paramsTemplate(type: ConstraintType): string {
    return type.params
        .filter((param) => param.required)
        .map((param) => `${param.name} = ${tomlValue(sampleValue(param))}`)
        .join(', ');
}

/** One line for the input box prompt: each parameter, its type, choices and default. */
export function describeParams(type: ConstraintType): string {
    if (type.params.length === 0) {
        return `${type.id} takes no parameters`;
    }
    return type.params.map((param) => {
        const choices = param.choices ? ` (${param.choices.map((c) => JSON.stringify(c)).join(' | ')})` : '';
        const requirement = param.required ? 'required' : `default ${tomlValue(param.default)}`;
        return `${param.name}: ${param.type}${choices}, ${requirement}`;
    }).join(' · ');
}

export type ParamsParse = { ok: true; params: Record<string, unknown> } | { ok: false; error: string };

/**
 * Parameters typed as TOML key/value pairs separated by commas (`max = 8, include_lambdas =
 * true`), checked against the type: unknown keys, missing required ones, value types, choices
 * and bounds. `label` is accepted too.
 */
export function parseParams(text: string, type: ConstraintType): ParamsParse {
    const body = text.trim().replace(/,\s*$/, '');
    let values: Record<string, unknown> = {};
    if (body.length > 0) {
        try {
            values = plain((parseToml(`params = { ${body} }`) as { params: unknown }).params) as Record<string, unknown>;
        } catch (error) {
            return { ok: false, error: `write key = value pairs separated by commas (TOML): ${firstLine(error)}` };
        }
    }
    const known = new Map(type.params.map((param) => [param.name, param]));
    for (const key of Object.keys(values)) {
        if (!known.has(key) && key !== 'label') {
            const names = type.params.map((param) => param.name).join(', ') || 'none';
            return { ok: false, error: `${type.id} has no parameter '${key}' (its parameters: ${names})` };
        }
    }
    if ('label' in values && typeof values.label !== 'string') {
        return { ok: false, error: 'label must be a string' };
    }
    for (const param of type.params) {
        if (!(param.name in values)) {
            if (param.required) {
                return { ok: false, error: `missing required parameter '${param.name}' (${param.type})` };
            }
            continue;
        }
        const problem = checkValue(param, values[param.name]);
        if (problem !== undefined) {
            return { ok: false, error: `'${param.name}': ${problem}` };
        }
    }
    return { ok: true, params: values };
}

function checkValue(param: ParamSpec, value: unknown): string | undefined {
    switch (param.type) {
        case 'int':
            if (typeof value !== 'number' || !Number.isInteger(value)) {
                return `must be an integer, got ${JSON.stringify(value)}`;
            }
            break;
        case 'float':
            if (typeof value !== 'number') {
                return `must be a number, got ${JSON.stringify(value)}`;
            }
            break;
        case 'bool':
            if (typeof value !== 'boolean') {
                return `must be true or false, got ${JSON.stringify(value)}`;
            }
            break;
        case 'list[str]':
            if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
                return `must be a list of strings, e.g. ["a", "b"], got ${JSON.stringify(value)}`;
            }
            break;
        default: // str, regex
            if (typeof value !== 'string') {
                return `must be a string in quotes, got ${JSON.stringify(value)}`;
            }
    }
    if (param.choices && !Array.isArray(value) && !param.choices.includes(value)) {
        return `must be one of ${param.choices.map((c) => JSON.stringify(c)).join(', ')}`;
    }
    if (typeof value === 'number') {
        if (param.minimum !== undefined && value < param.minimum) {
            return `must be at least ${param.minimum}`;
        }
        if (param.maximum !== undefined && value > param.maximum) {
            return `must be at most ${param.maximum}`;
        }
    }
    return undefined;
}

function sampleValue(param: ParamSpec): unknown {
    if (param.choices && param.choices.length > 0) {
        return param.choices[0];
    }
    if (param.default !== undefined && param.default !== null) {
        return param.default;
    }
    switch (param.type) {
        case 'int':
            return Math.max(param.minimum ?? 1, 1);
        case 'float':
            return param.minimum ?? 0;
        case 'bool':
            return true;
        case 'list[str]':
            return [];
        default:
            return '';
    }
}

/** A value written as TOML (the subset parameters use). */
export function tomlValue(value: unknown): string {
    if (Array.isArray(value)) {
        return `[${value.map(tomlValue).join(', ')}]`;
    }
    if (typeof value === 'string') {
        return JSON.stringify(value);
    }
    if (value === null || value === undefined) {
        return '""';
    }
    return String(value);
}

/** A constraint's parameters with the type's defaults filled in, as the server reports them. */
export function normalisedParams(item: ConstraintItem, type: ConstraintType | undefined): Record<string, unknown> {
    const params: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(item)) {
        if (!RESERVED_KEYS.has(key)) {
            params[key] = value;
        }
    }
    for (const param of type?.params ?? []) {
        if (!(param.name in params) && param.default !== undefined) {
            params[param.name] = param.default;
        }
    }
    return params;
}

/** A stable identity for a constraint, like the server's: type and parameters (not the label). */
export function constraintKey(type: string, params: Record<string, unknown> | undefined): string {
    const entries = Object.entries(params ?? {})
        .filter(([, value]) => value !== null && value !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
    return `${type}(${entries.join(',')})`;
}

/** A catalogue from `heedful constraints --format json` output, or an error. */
export function parseCatalogue(json: string): ConstraintType[] {
    const value = JSON.parse(json) as unknown;
    if (!Array.isArray(value) || !value.every((t) => typeof t === 'object' && t !== null && typeof t.id === 'string')) {
        throw new Error('`heedful constraints --format json` did not print a list of constraint types');
    }
    return value as ConstraintType[];
}

function plain(value: unknown): unknown {
    return JSON.parse(JSON.stringify(value));
}

function firstLine(error: unknown): string {
    const message = error instanceof Error ? error.message : String(error);
    return message.replace(/^Invalid TOML document:\s*/, '').split('\n')[0];
}
