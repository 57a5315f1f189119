/**
 * The scheduler layer's errors. A bad schedule spec is the runtime's `InvalidSpecError` (naming
 * the field and the value); what is here concerns schedules in the store. The codes are
 * registered in `WardenErrorMap`, so `isWardenError(e, 'SCHEDULE_NOT_FOUND')` narrows `e`.
 */
import { WardenError } from '../runtime/index.ts';

declare module '../runtime/index.ts' {
  interface WardenErrorMap {
    ScheduleNotFoundError: ScheduleNotFoundError;
    SchedulerClosedError: SchedulerClosedError;
  }
}

/** No schedule with this id is in the store (it was never defined there, or the id is misspelt). */
export class ScheduleNotFoundError extends WardenError<'SCHEDULE_NOT_FOUND', { scheduleId: string; location: string }> {
  constructor(scheduleId: string, location: string) {
    super('SCHEDULE_NOT_FOUND', `no schedule "${scheduleId}" in ${location} (see 'warden schedules list')`, { scheduleId, location });
  }
}

/** The scheduler was closed; open a new one (`openScheduler`). */
export class SchedulerClosedError extends WardenError<'SCHEDULER_CLOSED'> {
  constructor() {
    super('SCHEDULER_CLOSED', 'the scheduler is closed; open a new one with openScheduler()');
  }
}
