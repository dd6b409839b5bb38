/** Long work in main (export, import, backup, restore): the latest progress per task, fed by main's `progress` events. */
import { create } from 'zustand';
import type { ApiEvents } from '../../common/api/contract.ts';

export type Progress = ApiEvents['progress'];
type Task = Progress['task'];

interface ProgressState {
  tasks: Partial<Record<Task, Progress>>;
  report(progress: Progress): void;
  clear(task: Task): void;
}

export const useProgress = create<ProgressState>()((set) => ({
  tasks: {},
  report: (progress) => set((s) => ({ tasks: { ...s.tasks, [progress.task]: progress } })),
  clear: (task) =>
    set((s) => {
      const tasks = { ...s.tasks };
      delete tasks[task];
      return { tasks };
    }),
}));
