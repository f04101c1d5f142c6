import { InProcessScheduler } from '../../../src/scheduler/in-process-scheduler.js';
import { describeSchedulerContract } from '../../contract/scheduler-contract.js';

// The in-process scheduler has no backing store: a "new scheduler on the same store" is just a new
// one, which is all the contract demands (the caller gives it the schedules again).
describeSchedulerContract('InProcessScheduler', () => ({
  create: () => new InProcessScheduler({ concurrency: 4 }),
  concurrency: 4,
  cleanup: async () => undefined,
}));
