// Startup progress (model loading, MCP connections) as a small external store the REPL subscribes to.
import type { ServerStatus } from '../agent/mcp/types.js';
import type { ReplBackend } from './backend.js';
import type { ModelLoadState } from './components/StartupView.js';

export interface BootSnapshot {
  model: ModelLoadState;
  servers: ServerStatus[];
  error: string | null;
  backend: ReplBackend | null;
}

export class BootStore {
  private snap: BootSnapshot;
  private readonly listeners = new Set<() => void>();

  constructor(modelName: string) {
    this.snap = { model: { name: modelName, phase: 'tokenizer', fraction: 0 }, servers: [], error: null, backend: null };
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly snapshot = (): BootSnapshot => this.snap;

  private update(patch: Partial<BootSnapshot>): void {
    this.snap = { ...this.snap, ...patch };
    for (const l of this.listeners) l();
  }

  modelProgress(phase: ModelLoadState['phase'], fraction: number): void {
    this.update({ model: { ...this.snap.model, phase, fraction } });
  }

  servers(servers: ServerStatus[]): void {
    this.update({ servers: servers.map((s) => ({ ...s })) });
  }

  fail(message: string): void {
    this.update({ error: message });
  }

  ready(backend: ReplBackend): void {
    this.update({ backend, model: { ...this.snap.model, phase: 'ready', fraction: 1 } });
  }
}
