// What a view is given: the model, the client, the route's parameters, data loaded while the
// view is shown (poll: fetched now and every `every_ms` until the view is left), and elements
// that persist across renders (charts, a filter box keeping its focus and text).
import type { ClusterClient } from "./client.ts";
import type { Model } from "./model.ts";

export interface Loaded<T> {
  value?: T;
  error?: string;
}

export interface ViewContext {
  model: Model;
  client: ClusterClient;
  params: string[];
  query: URLSearchParams;
  poll<T>(key: string, every_ms: number, load: () => Promise<T>): Loaded<T>;
  persistent<E extends HTMLElement>(key: string, make: () => E): E;
  /** Asks for a render soon (after an input changed). */
  refresh(): void;
}

export type View = (ctx: ViewContext) => HTMLElement;
