// How a store implementation is laid out by concept: its Store methods live in groups (store-*.ts), each
// method taking the store as `this`, and the class gathers the groups onto its prototype.

/** A group of methods as the store's callers see them: `this` is the store, so it is not in their type. */
export type Installed<T> = { [K in keyof T]: OmitThisParameter<T[K]> };
