/**
 * Entry module for running the memory service as a remote child, in its own thread or OS process
 * (`childProcess(MEMORY_SERVICE_MODULE, { arg: backend })`): its default export is the service's
 * server behaviour, and its argument the backend options.
 */
import { memoryServiceBehaviour } from './service.ts';

export default memoryServiceBehaviour;
