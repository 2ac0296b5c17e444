// What a pull reports as it goes, for a progress display (the engine prints nothing itself).

export interface PlannedFile {
  path: string;
  size: number;
  /** Already in blobs/ (this revision or another shares it). */
  cached: boolean;
  /** Bytes an interrupted download left in blobs/<etag>.incomplete. */
  partial: number;
}

export type PullEvent =
  | { type: 'resolved'; repoId: string; revision: string; commit: string }
  | { type: 'plan'; files: PlannedFile[]; downloadBytes: number }
  | { type: 'file-start'; path: string; size: number; resumedFrom: number }
  | { type: 'file-bytes'; path: string; bytes: number }
  | { type: 'file-restart'; path: string }
  | { type: 'file-retry'; path: string; attempt: number; reason: string }
  | { type: 'file-wait'; path: string }
  | { type: 'file-done'; path: string; size: number; downloaded: boolean }
  | { type: 'done'; commit: string; dir: string };

export type PullListener = (event: PullEvent) => void;
