// Minimal typings for peer libraries that ship none usable under NodeNext resolution,
// covering only what the benchmark calls.

declare module "redlock" {
  import type { EventEmitter } from "node:events";

  interface Redlock4Lock {
    unlock(): Promise<void>;
  }
  interface Redlock4Settings {
    driftFactor?: number;
    retryCount?: number;
    retryDelay?: number;
    retryJitter?: number;
  }
  class Redlock4 extends EventEmitter {
    constructor(clients: unknown[], settings?: Redlock4Settings);
    lock(resource: string, ttl: number): Promise<Redlock4Lock>;
  }
  export default Redlock4;
}

declare module "redlock5" {
  import type { EventEmitter } from "node:events";

  interface Redlock5Lock {
    release(): Promise<unknown>;
  }
  interface Redlock5Settings {
    driftFactor?: number;
    retryCount?: number;
    retryDelay?: number;
    retryJitter?: number;
    automaticExtensionThreshold?: number;
  }
  class Redlock5 extends EventEmitter {
    constructor(clients: Iterable<unknown>, settings?: Redlock5Settings);
    acquire(resources: string[], duration: number): Promise<Redlock5Lock>;
  }
  export default Redlock5;
}
