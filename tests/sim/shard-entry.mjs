// The entry of a simulation worker thread (pool.ts): registers tsx, which a worker does not
// inherit from its parent, then runs the TypeScript shard.
import { register } from 'tsx/esm/api';

register();
await import('./shard.ts');
