/**
 * Loaded with `node --import`, this makes `@opentelemetry/sdk-node` unresolvable, as it is for a
 * user who installed Warden without the OpenTelemetry SDK: the import fails with
 * ERR_MODULE_NOT_FOUND, as Node's own resolver would fail it.
 */
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === '@opentelemetry/sdk-node') {
      throw Object.assign(new Error(`Cannot find package '${specifier}' imported from ${context.parentURL}`), { code: 'ERR_MODULE_NOT_FOUND' });
    }
    return nextResolve(specifier, context);
  },
});
