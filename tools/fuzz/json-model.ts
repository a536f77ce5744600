// Documents as the fuzzers build them: like JSON values, except that an object is a list of entries (so it can hold
// duplicate keys, or a "__proto__" key, in a chosen order) and a number can be any token, valid JSON or not ("-0",
// "1e400", "01", "NaN"), because the interesting inputs are exactly the ones JavaScript objects cannot express.
export type JsonModel = null | boolean | number | string | RawToken | JsonModel[] | ObjectModel;

export class ObjectModel {
  constructor(public entries: [string, JsonModel][]) {}

  get(key: string): JsonModel | undefined {
    return this.entries.find(([k]) => k === key)?.[1];
  }
}

export class RawToken {
  constructor(readonly token: string) {}
}

export interface SerialiseOptions {
  indent: '' | '  ' | '\t';
}

export function serialise(model: JsonModel, options: SerialiseOptions = { indent: '' }, level = 0): string {
  if (model instanceof RawToken) return model.token;
  if (model === null || typeof model !== 'object') return JSON.stringify(model);
  const items: string[] = Array.isArray(model)
    ? model.map((item) => serialise(item, options, level + 1))
    : model.entries.map(
        ([key, value]) => `${JSON.stringify(key)}:${options.indent ? ' ' : ''}${serialise(value, options, level + 1)}`,
      );
  const [open, close] = Array.isArray(model) ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) return `${open}${close}`;
  if (!options.indent) return `${open}${items.join(',')}${close}`;
  const inner = `\n${options.indent.repeat(level + 1)}`;
  return `${open}${inner}${items.join(`,${inner}`)}\n${options.indent.repeat(level)}${close}`;
}

export function cloneModel(model: JsonModel): JsonModel {
  if (Array.isArray(model)) return model.map(cloneModel);
  if (model instanceof ObjectModel) return new ObjectModel(model.entries.map(([k, v]) => [k, cloneModel(v)]));
  return model;
}

// A place in the document where a value lives: an object entry or an array element, with a way to change it.
export interface Slot {
  path: string;
  value: JsonModel;
  replace(value: JsonModel): void;
  remove(): void;
}

export function slotsOf(model: JsonModel, path = ''): Slot[] {
  const slots: Slot[] = [];
  if (Array.isArray(model)) {
    model.forEach((value, index) => {
      slots.push({
        path: `${path}[${index}]`,
        value,
        replace: (next) => void (model[index] = next),
        remove: () => void model.splice(index, 1),
      });
      slots.push(...slotsOf(value, `${path}[${index}]`));
    });
  } else if (model instanceof ObjectModel) {
    model.entries.forEach((entry, index) => {
      slots.push({
        path: `${path}.${entry[0]}`,
        value: entry[1],
        replace: (next) => void (entry[1] = next),
        remove: () => void model.entries.splice(index, 1),
      });
      slots.push(...slotsOf(entry[1], `${path}.${entry[0]}`));
    });
  }
  return slots;
}

export function objectsOf(model: JsonModel): ObjectModel[] {
  if (Array.isArray(model)) return model.flatMap(objectsOf);
  if (model instanceof ObjectModel) return [model, ...model.entries.flatMap(([, value]) => objectsOf(value))];
  return [];
}
