import type { FormatName, FormatTypes } from './formats.ts';

/** One variable: what it means, its format, its default (as a user would write it), its name. */
export interface SettingSpec {
  readonly doc: string;
  /** A format of formats.ts, a list of the allowed words, or String for any text. */
  readonly format: FormatName | readonly string[] | StringConstructor;
  readonly default: string | number;
  readonly env: string;
  /** Never shown or logged as it is (URLs keep all but their password). */
  readonly sensitive?: boolean;
}

/** The value a setting of format `F` has once read. */
type ValueOf<F> = F extends FormatName
  ? FormatTypes[F]
  : F extends readonly (infer Word)[]
    ? Word
    : F extends StringConstructor
      ? string
      : never;

/** The typed configuration a set of settings describes. */
export type ConfigOf<S extends Record<string, SettingSpec>> = { readonly [K in keyof S]: ValueOf<S[K]['format']> };
